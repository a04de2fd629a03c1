package io.sonaflink.local;

import io.sonaflink.jobs.workload.Workload;
import io.sonaflink.state.bandit.RouteAdvisor;
import io.sonaflink.state.bandit.RouteRecommendation;
import io.sonaflink.state.bandit.UcbBandit;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.lora.LoraAdapter;

import java.util.List;
import java.util.Map;

/**
 * Judges what the job has published so far on held-out requests that were never sent, the way
 * the serving tier would use it: each key's newest adapters applied together
 * ({@code x + Δ_base(x) + Δ_micro(x)}) against the correction of each task, and the key's newest
 * pattern bank asked for a route.
 */
final class LearningProbe {

    private final Map<String, List<Workload.Probe>> probes;
    private final RouteAdvisor advisor;

    LearningProbe(Map<String, List<Workload.Probe>> probes, RouteAdvisor advisor) {
        this.probes = probes;
        this.advisor = advisor;
    }

    /**
     * Mean over keys of each measure.
     *
     * @param firstTaskLoss held-out loss ½‖f(x) − y‖² against the first task's corrections
     * @param secondTaskLoss the same against the second task's (after the switch)
     * @param identityFirstTaskLoss the first task's loss with no adapter, for scale
     * @param identitySecondTaskLoss the second task's loss with no adapter
     * @param hitRate share of requests answered by a pattern (confidence and similarity above the
     *     thresholds) rather than by the bandit
     * @param routeAccuracy share of pattern hits whose route is the request's best route
     */
    record Measures(double firstTaskLoss, double secondTaskLoss, double identityFirstTaskLoss,
            double identitySecondTaskLoss, double hitRate, double routeAccuracy) {}

    Measures measure(OutputWatcher.Snapshot outputs) {
        double first = 0;
        double second = 0;
        double identityFirst = 0;
        double identitySecond = 0;
        long hits = 0;
        long rightRoutes = 0;
        long requests = 0;
        for (Map.Entry<String, List<Workload.Probe>> e : probes.entrySet()) {
            Map<String, LoraAdapter> adapters = outputs.adapters().getOrDefault(e.getKey(), Map.of());
            ReasoningBank bank = outputs.banks().get(e.getKey());
            double keyFirst = 0;
            double keySecond = 0;
            double keyIdentityFirst = 0;
            double keyIdentitySecond = 0;
            for (Workload.Probe probe : e.getValue()) {
                float[] x = probe.embedding();
                float[] served = serve(x, adapters.values());
                keyFirst += loss(served, probe.firstTaskTarget());
                keySecond += loss(served, probe.secondTaskTarget());
                keyIdentityFirst += loss(x, probe.firstTaskTarget());
                keyIdentitySecond += loss(x, probe.secondTaskTarget());
                if (bank != null && bank.dim() == x.length) {
                    RouteRecommendation r = advisor.recommend(bank, UcbBandit.create(), x);
                    if (r.patternHit()) {
                        hits++;
                        rightRoutes += r.route().equals(probe.bestRoute()) ? 1 : 0;
                    }
                }
                requests++;
            }
            int n = e.getValue().size();
            first += keyFirst / n;
            second += keySecond / n;
            identityFirst += keyIdentityFirst / n;
            identitySecond += keyIdentitySecond / n;
        }
        int keys = Math.max(1, probes.size());
        return new Measures(first / keys, second / keys, identityFirst / keys, identitySecond / keys,
                requests == 0 ? 0 : (double) hits / requests, hits == 0 ? 0 : (double) rightRoutes / hits);
    }

    /** {@code x} plus every adapter's change of it: the adapters were trained side by side. */
    static float[] serve(float[] x, Iterable<LoraAdapter> adapters) {
        float[] out = x.clone();
        for (LoraAdapter adapter : adapters) {
            if (adapter.dim() != x.length) {
                continue;
            }
            float[] adapted = adapter.apply(x);
            for (int j = 0; j < out.length; j++) {
                out[j] += adapted[j] - x[j];
            }
        }
        return out;
    }

    static double loss(float[] output, float[] target) {
        double sum = 0;
        for (int j = 0; j < output.length; j++) {
            double d = output[j] - target[j];
            sum += d * d;
        }
        return 0.5 * sum;
    }
}
