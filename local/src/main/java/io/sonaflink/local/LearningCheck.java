package io.sonaflink.local;

import io.sonaflink.jobs.workload.Workload;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The local run's self-check ({@code --check}, used by CI): did the run learn what the built-in
 * workload plants? Every key published both adapters, the adapters serve the current task better
 * than no adapter, patterns answer most requests with their best route, every query was answered
 * exactly once, and every malformed line reached the dead letters.
 */
final class LearningCheck {

    /** The held-out loss of the current task must fall at least this much below the identity's. */
    static final double MIN_LOSS_REDUCTION = 0.1;
    static final double MIN_HIT_RATE = 0.3;
    static final double MIN_ROUTE_ACCURACY = 0.8;

    private LearningCheck() {}

    static List<String> problems(Workload workload, OutputWatcher.Snapshot outputs, LearningReport.Point last,
            boolean completed, long queries) {
        List<String> problems = new ArrayList<>();
        if (!completed) {
            problems.add("the run stopped before the job consumed the whole workload");
        }
        for (String key : workload.probes().keySet()) {
            Map<String, Long> versions = outputs.versions().getOrDefault(key, Map.of());
            for (String kind : List.of("micro", "base")) {
                if (versions.getOrDefault(kind, 0L) < 1) {
                    problems.add("no " + kind + " adapter was published for " + key);
                }
            }
        }
        LearningProbe.Measures m = last.measures();
        if (!(m.secondTaskLoss() <= (1 - MIN_LOSS_REDUCTION) * m.identitySecondTaskLoss())) {
            problems.add(String.format(Locale.ROOT, "held-out loss of the current task %.5f is not %.0f %% below"
                    + " the identity's %.5f", m.secondTaskLoss(), 100 * MIN_LOSS_REDUCTION, m.identitySecondTaskLoss()));
        }
        if (m.hitRate() < MIN_HIT_RATE) {
            problems.add(String.format(Locale.ROOT, "pattern hit rate %.3f < %.2f", m.hitRate(), MIN_HIT_RATE));
        }
        if (m.routeAccuracy() < MIN_ROUTE_ACCURACY) {
            problems.add(String.format(Locale.ROOT, "best route among hits %.3f < %.2f", m.routeAccuracy(),
                    MIN_ROUTE_ACCURACY));
        }
        if (queries == 0 || outputs.responses() != queries) {
            problems.add(outputs.responses() + " committed responses for " + queries + " queries (exactly once)");
        }
        int malformed = workload.malformedTrajectories() + workload.malformedSignals();
        if (outputs.deadLetters() < malformed) {
            problems.add("only " + outputs.deadLetters() + " dead letters for " + malformed + " malformed lines");
        }
        return problems;
    }
}
