package io.sonaflink.operators.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EarlySignalIdsTest {

    @Test
    void aKeyIsKnownFromItsFirstEarlySignalUntilNoneWaits() {
        EarlySignalIds ids = new EarlySignalIds(10);
        assertThat(ids.mayWait("k", 0, "t1")).isFalse();
        ids.added("k", 0, "t1");
        assertThat(ids.mayWait("k", 1, "t1")).isTrue();
        assertThat(ids.mayWait("k", 1, "t2")).isFalse(); // known: nothing waits for t2
        ids.removed("k", "t1");
        assertThat(ids.mayWait("k", 1, "t1")).isFalse(); // its arrival entry still counts, its signals are gone
        ids.forget("k");
        assertThat(ids.mayWait("k", 1, "t2")).isTrue(); // unknown again: look it up
    }

    @Test
    void aKeyWithSignalsItHasNotSeenStaysUnknown() {
        EarlySignalIds ids = new EarlySignalIds(10);
        ids.added("k", 3, "t1"); // three waited before, e.g. restored from a checkpoint
        assertThat(ids.mayWait("k", 4, "t2")).isTrue();
        assertThat(ids.size()).isZero();
    }

    @Test
    void beyondItsCapacityTheKeyThatGrewIsForgotten() {
        EarlySignalIds ids = new EarlySignalIds(2);
        ids.added("a", 0, "t1");
        ids.added("b", 0, "t2");
        assertThat(ids.mayWait("b", 1, "t9")).isFalse();
        ids.added("b", 1, "t3");
        assertThat(ids.size()).isEqualTo(1);
        assertThat(ids.mayWait("b", 2, "t9")).isTrue();
        assertThat(ids.mayWait("a", 1, "t9")).isFalse();
    }

    @Test
    void withNoCapacityNothingIsKnown() {
        EarlySignalIds ids = new EarlySignalIds(0);
        ids.added("k", 0, "t1");
        assertThat(ids.mayWait("k", 1, "t2")).isTrue();
    }
}
