package io.sonaflink.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

import java.util.List;

class SonaBenchTest {

    /** Seconds since submission, trajectories read, trajectories settled. */
    private static final List<double[]> SERIES = List.of(
            new double[] {1, 0, 0},
            new double[] {3, 100, 0},
            new double[] {6, 400, 200},
            new double[] {8, 1000, 600},
            new double[] {9, 1000, 1000});

    @Test
    void sustainedCountsFromTheSecondBeforeTheFirstRead() {
        assertThat(SonaBench.sustained(SERIES, 1000)).isCloseTo(1000 / (9 - 2.0), within(1e-9));
    }

    @Test
    void theSecondHalfIsTimedFromWhenHalfTheBacklogHadSettled() {
        // 500 settled at 7.5 s (interpolated between 600 at 8 s and 200 at 6 s), all at 9 s
        assertThat(SonaBench.secondHalf(SERIES, 1000)).isCloseTo(500 / 1.5, within(1e-9));
    }

    @Test
    void aBacklogThatNeverSettledHasNoRate() {
        assertThat(SonaBench.secondHalf(SERIES.subList(0, 3), 1000)).isNaN();
        assertThat(SonaBench.sustained(SERIES.subList(0, 3), 1000)).isNaN();
    }
}
