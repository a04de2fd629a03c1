package io.sonaflink.local;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.util.List;

class SonaLocalSummaryTest {

    private static LearningReport.Point point(double seconds, long consumed) {
        return new LearningReport.Point(seconds, consumed, 0, null, 0, 0, 0, 0, 0, 0, 0);
    }

    @Test
    void theRateIsOverTheTimeToConsumeNotTheWaitForTheLastCycleAfterIt() {
        List<LearningReport.Point> points = List.of(point(2, 0), point(12, 4000), point(22, 10000),
                point(32, 10000), point(90, 10000));
        assertThat(SonaLocal.consumedAt(points)).isEqualTo(22);
    }
}
