package io.sonaflink.operators.bundle;

import org.apache.flink.api.common.state.ValueState;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class StateBundleTest {

    /** A keyed value state of one backend: a map by the current key, with every write recorded. */
    private static final class Backend {
        String current;
        final Map<String, Long> values = new HashMap<>();
        final List<String> writes = new ArrayList<>();
        int reads;

        ValueState<Long> state() {
            return new ValueState<>() {
                @Override
                public Long value() {
                    reads++;
                    return values.get(current);
                }

                @Override
                public void update(Long value) {
                    writes.add(current + "=" + value);
                    values.put(current, value);
                }

                @Override
                public void clear() {
                    writes.add(current + " cleared");
                    values.remove(current);
                }
            };
        }
    }

    @Test
    void valuesStayOnTheHeapUntilFlushedThenReachTheBackendOnce() throws Exception {
        Backend backend = new Backend();
        StateBundle bundle = new StateBundle(() -> backend.current, k -> backend.current = k, 8);
        ValueState<Long> counter = bundle.bundle(backend.state());
        backend.current = "a";
        for (long i = 1; i <= 100; i++) {
            Long v = counter.value();
            counter.update(v == null ? 1 : v + 1);
        }
        assertThat(backend.writes).isEmpty();
        assertThat(backend.reads).isEqualTo(1);
        assertThat(counter.value()).isEqualTo(100L);

        backend.current = "b";
        counter.update(7L);
        bundle.flush();

        assertThat(backend.writes).containsExactlyInAnyOrder("a=100", "b=7");
        assertThat(backend.current).isEqualTo("b"); // the current key is restored
        assertThat(bundle.size()).isZero();
        backend.current = "a";
        assertThat(counter.value()).isEqualTo(100L); // read back from the backend after the flush
    }

    @Test
    void theOldestKeyIsWrittenBackWhenTooManyAreHeld() throws Exception {
        Backend backend = new Backend();
        StateBundle bundle = new StateBundle(() -> backend.current, k -> backend.current = k, 2);
        ValueState<Long> value = bundle.bundle(backend.state());
        for (String key : List.of("a", "b", "c")) {
            backend.current = key;
            value.update((long) key.charAt(0));
        }
        assertThat(backend.writes).containsExactly("a=97");
        assertThat(backend.current).isEqualTo("c");
        assertThat(bundle.size()).isEqualTo(2);
    }

    @Test
    void aClearedValueIsClearedInTheBackendAndUnreadValuesAreNotWritten() throws Exception {
        Backend backend = new Backend();
        backend.values.put("a", 5L);
        backend.values.put("b", 6L);
        StateBundle bundle = new StateBundle(() -> backend.current, k -> backend.current = k, 8);
        ValueState<Long> value = bundle.bundle(backend.state());
        backend.current = "a";
        value.clear();
        assertThat(value.value()).isNull();
        backend.current = "b";
        assertThat(value.value()).isEqualTo(6L); // read only
        bundle.flush();
        assertThat(backend.writes).containsExactly("a cleared");
        assertThat(backend.values).doesNotContainKey("a").containsEntry("b", 6L);
    }
}
