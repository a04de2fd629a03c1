package io.sonaflink.state.bank;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PatternTest {

    @Test
    void confidenceMatchesHandComputedValues() {
        // qualities 0.5, 0.7, 0.9, 0.7: mean 0.7, squared deviations 0.04 + 0 + 0.04 + 0 = 0.08,
        // variance 0.02, confidence (1 - sqrt 0.02) * (1 - 1/5) = 0.8585786 * 0.8 = 0.6868629
        Pattern four = withStats(4, 0.7, 0.08);
        assertThat(four.qualityVariance()).isCloseTo(0.02, within(1e-15));
        assertThat(four.confidence()).isCloseTo(0.6868629f, within(1e-6f));

        // qualities 0, 1, 1: mean 2/3, squared deviations 4/9 + 1/9 + 1/9 = 2/3, variance 2/9,
        // confidence (1 - 0.4714045) * 0.75 = 0.3964466
        Pattern three = withStats(3, 2.0 / 3.0, 2.0 / 3.0);
        assertThat(three.confidence()).isCloseTo(0.3964466f, within(1e-6f));

        // zero variance: only the support term, n / (n + 1)
        assertThat(withStats(1, 0.9, 0.0).confidence()).isEqualTo(0.5f);
        assertThat(withStats(9, 0.9, 0.0).confidence()).isCloseTo(0.9f, within(1e-7f));
        assertThat(withStats(99, 0.9, 0.0).confidence()).isCloseTo(0.99f, within(1e-7f));
    }

    @Test
    void confidenceIsFlooredAtZero() {
        // variance 4: 1 - sqrt 4 = -1, so the raw product is -2/3
        assertThat(withStats(2, 0.5, 8.0).confidence()).isZero();
        // variance exactly 1: zero, not negative
        assertThat(withStats(5, 0.5, 5.0).confidence()).isZero();
        // a tiny negative sum of squares from rounding is not NaN
        assertThat(withStats(5, 0.5, -1e-18).confidence()).isCloseTo(5f / 6f, within(1e-6f));
    }

    @Test
    void aPatternNeedsASample() {
        assertThatThrownBy(() -> withStats(0, 0.5, 0.0)).isInstanceOf(IllegalArgumentException.class);
    }

    private static Pattern withStats(long n, double mean, double m2) {
        return new Pattern(0L, new float[] {1f, 0f}, n, mean, m2, "r", Map.of(), Map.of(), 1L, 1L);
    }
}
