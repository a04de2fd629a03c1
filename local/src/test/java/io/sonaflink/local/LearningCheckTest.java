package io.sonaflink.local;

import io.sonaflink.jobs.workload.Workload;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class LearningCheckTest {

    private static final String KEY = "acme/assistant/general";
    private static final Workload WORKLOAD = new Workload(List.of(), List.of(), Map.of(), Map.of(), Map.of(), 1, 0,
            Map.of(KEY, List.of()));

    @Test
    void aRunThatLearnedEverythingPasses() {
        assertThat(problems(measures(0.9, 0.8, 0.9, 1.0), outputs(0.5, 1.0))).isEmpty();
    }

    @Test
    void undefinedRatesFailInsteadOfPassing() {
        assertThat(problems(measures(0.9, 0.8, Double.NaN, Double.NaN), outputs(Double.NaN, Double.NaN)))
                .anyMatch(p -> p.startsWith("pattern hit rate NaN"))
                .anyMatch(p -> p.startsWith("best route among hits NaN"))
                .anyMatch(p -> p.startsWith("served hit rate NaN"))
                .anyMatch(p -> p.startsWith("served best route among hits NaN"));
    }

    @Test
    void ratesBelowTheirBoundsFail() {
        assertThat(problems(measures(0.9, 0.3, 0.1, 0.5), outputs(0.1, 0.5)))
                .hasSize(5)
                .anyMatch(p -> p.startsWith("served held-out loss of the current task"))
                .anyMatch(p -> p.startsWith("pattern hit rate 0.100"))
                .anyMatch(p -> p.startsWith("best route among hits 0.500"))
                .anyMatch(p -> p.startsWith("served hit rate 0.100"))
                .anyMatch(p -> p.startsWith("served best route among hits 0.500"));
    }

    private static List<String> problems(LearningProbe.Measures measures, OutputWatcher.Snapshot outputs) {
        LearningReport.Point point = new LearningReport.Point(1, 10, 0, measures, 4, 2, 1, 1, 3, 0.5, 1);
        return LearningCheck.problems(WORKLOAD, outputs, List.of(point), true, 3);
    }

    private static LearningProbe.Measures measures(double firstQuality, double secondQuality, double hitRate,
            double routeAccuracy) {
        return new LearningProbe.Measures(loss(firstQuality), loss(secondQuality), hitRate, routeAccuracy);
    }

    /** A task's losses with the served model {@code quality} better than no adapter. */
    private static LearningProbe.TaskLoss loss(double quality) {
        return new LearningProbe.TaskLoss(1 - quality, 1 - quality, 1, 1);
    }

    private static OutputWatcher.Snapshot outputs(double servedHitRate, double servedRouteAccuracy) {
        return new OutputWatcher.Snapshot(Map.of(), Map.of(KEY, Map.of("micro", 3L, "base", 2L)), Map.of(), 1,
                Map.of(), 1, Map.of(), Map.of(), 10, 3, servedHitRate, servedRouteAccuracy,
                OutputWatcher.ResponseLatency.of(List.of(5L, 7L)), OutputWatcher.ResponseLatency.of(List.of(3L, 4L)));
    }
}
