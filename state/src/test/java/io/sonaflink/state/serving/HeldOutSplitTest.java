package io.sonaflink.state.serving;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HeldOutSplitTest {

    @Test
    void holdsOutTheConfiguredShareOfIds() {
        int n = 100_000;
        int held = 0;
        for (int i = 0; i < n; i++) {
            held += HeldOutSplit.DEFAULT.isHeldOut("acme-t" + i) ? 1 : 0;
        }
        // binomial(100000, 0.1): standard deviation ~95; 5 of them either side
        assertThat(held).isBetween(10_000 - 475, 10_000 + 475);
    }

    @Test
    void dependsOnTheIdAloneAndNothingAtZero() {
        HeldOutSplit split = new HeldOutSplit(0.3);
        for (int i = 0; i < 1000; i++) {
            String id = "t-" + i;
            assertThat(split.isHeldOut(id)).isEqualTo(new HeldOutSplit(0.3).isHeldOut(id));
            assertThat(new HeldOutSplit(0).isHeldOut(id)).isFalse();
            // a larger share holds out a superset: raising it never moves an id into training
            if (HeldOutSplit.DEFAULT.isHeldOut(id)) {
                assertThat(split.isHeldOut(id)).isTrue();
            }
        }
        // pinned: the split is part of what a replay must reproduce
        assertThat(HeldOutSplit.unitHash("acme-t0")).isEqualTo(HeldOutSplit.unitHash("acme-t0"));
        assertThatThrownBy(() -> new HeldOutSplit(1.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HeldOutSplit(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}
