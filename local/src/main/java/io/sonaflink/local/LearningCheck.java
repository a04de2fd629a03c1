package io.sonaflink.local;

import io.sonaflink.connectors.registry.AdapterManifest;
import io.sonaflink.jobs.workload.Workload;
import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The local run's self-check ({@code --check}, used by CI): did the run learn what the built-in
 * workload plants? Every key published both adapters; what is served beats no adapter on the
 * current (second) task by at least {@link #MIN_CURRENT_TASK_QUALITY} and keeps at least {@link
 * #MIN_FIRST_TASK_KEPT} of the best improvement it had reached on the first task; patterns answer
 * at least {@link #MIN_SERVED_HIT_RATE} of the last responses served, and most requests, probed
 * and served, with their best route (an undefined rate fails); every query was answered once; and
 * every malformed line reached the dead letters.
 */
final class LearningCheck {

    /** The served held-out loss of the current task must fall at least this much below the identity's. */
    static final double MIN_CURRENT_TASK_QUALITY = 0.5;
    /** The share of the first task's best served improvement that must be kept at the end. */
    static final double MIN_FIRST_TASK_KEPT = 0.9;
    static final double MIN_HIT_RATE = 0.3;
    static final double MIN_ROUTE_ACCURACY = 0.8;
    /** Of the last responses, the share a stored pattern answered: serving must use the patterns. */
    static final double MIN_SERVED_HIT_RATE = 0.2;

    private LearningCheck() {}

    /** The best served quality the first task reached during the run. */
    static double bestFirstTaskQuality(List<LearningReport.Point> points) {
        double best = 0;
        for (LearningReport.Point p : points) {
            best = Math.max(best, p.measures().firstTask().quality());
        }
        return best;
    }

    /** The first task's served quality at the end over the best it reached (0 when it never improved). */
    static double firstTaskKept(List<LearningReport.Point> points) {
        double best = bestFirstTaskQuality(points);
        return best > 0 ? points.get(points.size() - 1).measures().firstTask().quality() / best : 0;
    }

    static List<String> problems(Workload workload, OutputWatcher.Snapshot outputs, List<LearningReport.Point> points,
            boolean completed, long queries) {
        LearningReport.Point last = points.get(points.size() - 1);
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
        if (!(m.secondTask().quality() >= MIN_CURRENT_TASK_QUALITY)) {
            problems.add(String.format(Locale.ROOT, "served held-out loss of the current task %.5f is not %.0f %% below"
                    + " no adapter's %.5f", m.secondTask().served(), 100 * MIN_CURRENT_TASK_QUALITY,
                    m.secondTask().identity()));
        }
        double kept = firstTaskKept(points);
        if (!(kept >= MIN_FIRST_TASK_KEPT)) {
            problems.add(String.format(Locale.ROOT, "the first task kept %.1f %% of its best served improvement "
                    + "(%.1f %%), less than %.0f %%", 100 * kept, 100 * bestFirstTaskQuality(points),
                    100 * MIN_FIRST_TASK_KEPT));
        }
        // written as !(x >= bound) so that an undefined rate (NaN: nothing measured) fails too
        if (!(m.hitRate() >= MIN_HIT_RATE)) {
            problems.add(String.format(Locale.ROOT, "pattern hit rate %.3f < %.2f", m.hitRate(), MIN_HIT_RATE));
        }
        if (!(m.routeAccuracy() >= MIN_ROUTE_ACCURACY)) {
            problems.add(String.format(Locale.ROOT, "best route among hits %.3f < %.2f", m.routeAccuracy(),
                    MIN_ROUTE_ACCURACY));
        }
        if (!(outputs.servedHitRate() >= MIN_SERVED_HIT_RATE)) {
            problems.add(String.format(Locale.ROOT, "served hit rate %.3f over the last responses < %.2f",
                    outputs.servedHitRate(), MIN_SERVED_HIT_RATE));
        }
        if (!(outputs.servedRouteAccuracy() >= MIN_ROUTE_ACCURACY)) {
            problems.add(String.format(Locale.ROOT, "served best route among hits %.3f over the last responses < %.2f",
                    outputs.servedRouteAccuracy(), MIN_ROUTE_ACCURACY));
        }
        if (queries == 0 || outputs.responses() != queries) {
            problems.add(outputs.responses() + " responses for " + queries + " queries (each answered once)");
        }
        int malformed = workload.malformedTrajectories() + workload.malformedSignals();
        if (outputs.deadLetters() < malformed) {
            problems.add("only " + outputs.deadLetters() + " dead letters for " + malformed + " malformed lines");
        }
        return problems;
    }

    /** Each key's champions in the registry, {@code key -> kind -> version}, as the report shows them. */
    static Map<String, Map<String, Long>> registryChampions(List<AdapterManifest> registry) {
        Map<String, Map<String, Long>> champions = new TreeMap<>();
        for (AdapterManifest m : registry) {
            Map<String, Long> kinds = new TreeMap<>();
            for (AdapterKind kind : AdapterKind.values()) {
                if (m.lineage(kind).champion() > 0) {
                    kinds.put(kind.name().toLowerCase(Locale.ROOT), m.lineage(kind).champion());
                }
            }
            champions.put(new AdapterKey(m.key().tenant(), m.key().persona(), m.key().domain()).asString(), kinds);
        }
        return champions;
    }

    /** Where the registry's champions are not the newest versions published on the adapter-updates topic. */
    static List<String> registryProblems(List<AdapterManifest> registry, OutputWatcher.Snapshot outputs) {
        List<String> problems = new ArrayList<>();
        Map<String, Map<String, Long>> champions = registryChampions(registry);
        if (!champions.equals(outputs.versions())) {
            problems.add("registry champions " + champions + " are not the published versions " + outputs.versions());
        }
        return problems;
    }
}
