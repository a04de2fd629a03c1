package io.sonaflink.local;

import io.sonaflink.jobs.workload.Workload;
import io.sonaflink.state.bandit.RouteAdvisor;
import io.sonaflink.state.bandit.RouteRecommendation;
import io.sonaflink.state.bandit.UcbBandit;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.serving.ServedModel;

import java.util.List;
import java.util.Map;

/**
 * Judges what the job has published so far on held-out requests that were never sent, the way
 * the serving tier uses it: each key's {@link ServedModel} (the newest base and the newest micro
 * learned on it, {@code x + Δbase(x) + Δmicro(x)}) against the correction of each probe's task,
 * beside each adapter alone and no adapter, and the key's newest pattern bank asked for a route.
 */
final class LearningProbe {

    private final Map<String, List<Workload.Probe>> probes;
    private final RouteAdvisor advisor;

    LearningProbe(Map<String, List<Workload.Probe>> probes, RouteAdvisor advisor) {
        this.probes = probes;
        this.advisor = advisor;
    }

    /**
     * Mean held-out loss {@code 1/2 ||f(x) - y||^2} of one task's probes, mean over keys.
     *
     * @param served what the inference operator serves
     * @param base the BaseLoRA alone
     * @param micro the MicroLoRA alone
     * @param identity no adapter
     */
    record TaskLoss(double served, double base, double micro, double identity) {

        /** {@code 1 - served / identity}: the share of the correction the served model learned. */
        double quality() {
            return identity > 0 ? 1 - served / identity : 0;
        }
    }

    /**
     * What was learned, as measured on the probes.
     *
     * @param firstTask losses on the first task's probes
     * @param secondTask losses on the second task's probes
     * @param hitRate share of requests answered by a pattern (confidence and similarity above the
     *     thresholds) rather than by the bandit
     * @param routeAccuracy share of pattern hits whose route is the request's best route
     */
    record Measures(TaskLoss firstTask, TaskLoss secondTask, double hitRate, double routeAccuracy) {}

    Measures measure(OutputWatcher.Snapshot outputs) {
        double[][] sums = new double[2][4];
        long hits = 0;
        long rightRoutes = 0;
        long requests = 0;
        for (Map.Entry<String, List<Workload.Probe>> e : probes.entrySet()) {
            ServedModel served = outputs.served(e.getKey());
            ServedModel base = new ServedModel(served.base(), null);
            ServedModel micro = new ServedModel(null, outputs.micro(e.getKey()));
            ReasoningBank bank = outputs.banks().get(e.getKey());
            double[][] keySums = new double[2][4];
            int[] counts = new int[2];
            for (Workload.Probe probe : e.getValue()) {
                float[] x = probe.embedding();
                double[] row = keySums[probe.task()];
                row[0] += loss(served.apply(x), probe.target());
                row[1] += loss(base.apply(x), probe.target());
                row[2] += loss(micro.apply(x), probe.target());
                row[3] += loss(x, probe.target());
                counts[probe.task()]++;
                if (bank != null && bank.dim() == x.length) {
                    RouteRecommendation r = advisor.recommend(bank, UcbBandit.create(), x);
                    if (r.patternHit()) {
                        hits++;
                        rightRoutes += r.route().equals(probe.bestRoute()) ? 1 : 0;
                    }
                }
                requests++;
            }
            for (int task = 0; task < 2; task++) {
                for (int m = 0; m < 4; m++) {
                    sums[task][m] += counts[task] == 0 ? 0 : keySums[task][m] / counts[task];
                }
            }
        }
        int keys = Math.max(1, probes.size());
        return new Measures(taskLoss(sums[0], keys), taskLoss(sums[1], keys),
                requests == 0 ? 0 : (double) hits / requests, hits == 0 ? 0 : (double) rightRoutes / hits);
    }

    private static TaskLoss taskLoss(double[] sums, int keys) {
        return new TaskLoss(sums[0] / keys, sums[1] / keys, sums[2] / keys, sums[3] / keys);
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
