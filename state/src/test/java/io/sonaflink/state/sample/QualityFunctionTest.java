package io.sonaflink.state.sample;

import io.sonaflink.state.math.DeterministicRandom;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class QualityFunctionTest {

    private static final float EPS = 1e-6f;

    @Test
    void matchesHandComputedValues() {
        // 1 ms, 1 MB, half the cache: 0.5 * 1/2 + 0.3 * 1/2 + 0.2 * 0.5 = 0.5
        assertThat(QualityFunction.fromMetrics(1000, 1_000_000, 0.5f)).isCloseTo(0.5f, within(EPS));
        // free and fully cached: 0.5 + 0.3 + 0.2
        assertThat(QualityFunction.fromMetrics(0, 0, 1f)).isCloseTo(1f, within(EPS));
        assertThat(QualityFunction.fromMetrics(0, 0, 0f)).isCloseTo(0.8f, within(EPS));
        // 9 ms, 4 MB, a quarter cached: 0.5/10 + 0.3/5 + 0.05 = 0.16
        assertThat(QualityFunction.fromMetrics(9000, 4_000_000, 0.25f)).isCloseTo(0.16f, within(EPS));
        // 500 us, 250 kB, no cache: 0.5/1.5 + 0.3/1.25 = 0.333333 + 0.24
        assertThat(QualityFunction.fromMetrics(500, 250_000, 0f)).isCloseTo(0.5733333f, within(EPS));
        // 99 ms, 0 B: 0.5/100 + 0.3 + 0.2 * 0.75
        assertThat(QualityFunction.fromMetrics(99_000, 0, 0.75f)).isCloseTo(0.455f, within(EPS));
    }

    @Test
    void cacheHitRateIsClampedAndNaNCountsAsZero() {
        float full = QualityFunction.fromMetrics(2000, 3_000_000, 1f);
        float none = QualityFunction.fromMetrics(2000, 3_000_000, 0f);
        assertThat(full - none).isCloseTo(0.2f, within(EPS));
        assertThat(QualityFunction.fromMetrics(2000, 3_000_000, 1.7f)).isEqualTo(full);
        assertThat(QualityFunction.fromMetrics(2000, 3_000_000, Float.POSITIVE_INFINITY)).isEqualTo(full);
        assertThat(QualityFunction.fromMetrics(2000, 3_000_000, -0.4f)).isEqualTo(none);
        assertThat(QualityFunction.fromMetrics(2000, 3_000_000, Float.NEGATIVE_INFINITY)).isEqualTo(none);
        assertThat(QualityFunction.fromMetrics(2000, 3_000_000, Float.NaN)).isEqualTo(none);
    }

    @Test
    void negativeMetricsAreRejected() {
        assertThatThrownBy(() -> QualityFunction.fromMetrics(-1, 0, 0.5f)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> QualityFunction.fromMetrics(0, -1, 0.5f)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void staysWithinTheUnitIntervalAndFallsWithCost() {
        DeterministicRandom random = new DeterministicRandom(17);
        for (int i = 0; i < 10_000; i++) {
            long latency = (long) Math.exp(25 * random.nextDouble()) - 1; // 0 .. ~7e10 us
            long memory = (long) Math.exp(30 * random.nextDouble()) - 1;
            float cache = (float) (3 * random.nextDouble() - 1);
            float q = QualityFunction.fromMetrics(latency, memory, cache);
            assertThat(q).isBetween(0f, 1f);
            assertThat(QualityFunction.fromMetrics(latency + 1000, memory, cache)).isLessThanOrEqualTo(q);
            assertThat(QualityFunction.fromMetrics(latency, memory + 1_000_000, cache)).isLessThanOrEqualTo(q);
        }
        assertThat(QualityFunction.fromMetrics(Long.MAX_VALUE, Long.MAX_VALUE, 0f)).isBetween(0f, 1e-6f);
    }
}
