package io.sonaflink.state.cycle;

import io.sonaflink.state.bank.MergeReport;
import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.bank.PatternExtractor;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.cluster.KMeans;
import io.sonaflink.state.cluster.KMeansResult;
import io.sonaflink.state.lora.BaseLora;
import io.sonaflink.state.lora.TrainingExample;
import io.sonaflink.state.lora.TrainingReport;
import io.sonaflink.state.sample.TrajectorySample;

import java.util.ArrayList;
import java.util.List;

/**
 * One background learning cycle over a window's trajectories, in seed 002's order: quality
 * filter, k-means++, pattern extraction, ReasoningBank merge (consolidation, eviction), then
 * BaseLoRA training with EWC++ (task-boundary detection included).
 *
 * <p>BaseLoRA trains on the trajectories that carry a target (their own or a correction's), poor
 * ones included, and on nothing else: what is served is judged against corrections on held-out
 * data, so a made-up target (such as the centroid of the request's pattern, which an earlier
 * release used) would be a bias the gate sees as loss and MicroLoRA would have to undo. Held-out
 * trajectories reach this cycle without their target, so they shape the patterns but train
 * nothing. Trajectories without a target still shape the patterns and their statistics.
 */
public final class BackgroundLearner {

    private BackgroundLearner() {}

    public static CycleReport runCycle(
            List<TrajectorySample> samples, ReasoningBank bank, BaseLora baseLora, BackgroundConfig config, long cycle,
            long seed) {
        int dim = bank.dim();
        if (baseLora.adapter().dim() != dim) {
            // checked before anything changes, so a failed cycle leaves both untouched
            throw new IllegalArgumentException(
                    "bank of dimension " + dim + " with a BaseLoRA of dimension " + baseLora.adapter().dim());
        }
        List<TrajectorySample> qualified = new ArrayList<>(samples.size());
        for (TrajectorySample s : samples) {
            if (s.embedding().length != dim) {
                throw new IllegalArgumentException(
                        "sample of dimension " + s.embedding().length + " in a " + dim + "-dimensional bank");
            }
            if (s.quality() >= config.qualityThreshold()) {
                qualified.add(s);
            }
        }

        List<Pattern> extracted = List.of();
        int iterations = 0;
        MergeReport merge = new MergeReport(0, 0, 0, 0, 0);
        List<TrainingExample> examples = new ArrayList<>();
        if (!qualified.isEmpty()) {
            int n = qualified.size();
            float[] data = new float[n * dim];
            for (int i = 0; i < n; i++) {
                System.arraycopy(qualified.get(i).embedding(), 0, data, i * dim, dim);
            }
            KMeansResult clustering = KMeans.cluster(data, n, dim, config.patternClusters(), config.kmeans(), seed);
            iterations = clustering.iterations();
            Pattern[] byCluster = PatternExtractor.extractByCluster(qualified, clustering, cycle);
            extracted = new ArrayList<>(byCluster.length);
            for (Pattern p : byCluster) {
                if (p != null) {
                    extracted.add(p);
                }
            }
            merge = bank.merge(extracted, config.bank(), cycle);
        }
        for (TrajectorySample s : samples) {
            if (s.hasTarget() && s.weight() > 0f) {
                examples.add(new TrainingExample(s.embedding(), s.target(), s.weight()));
            }
        }
        TrainingReport training = baseLora.train(examples, config.baseLora(), config.ewc());
        return new CycleReport(cycle, samples.size(), qualified.size(), extracted, iterations, merge, training);
    }
}
