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
 * <p>Training targets: a trajectory's own target (a correction) when it has one; otherwise the
 * centroid of the confident pattern it was clustered into, weighted by how much better than that
 * pattern's mean its quality was, so the adapter pulls requests toward what worked.
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
            addCentroidTargets(qualified, clustering.assignments(), byCluster, config, examples);
        }
        for (TrajectorySample s : samples) {
            if (s.hasTarget() && s.weight() > 0f) {
                examples.add(new TrainingExample(s.embedding(), s.target(), s.weight()));
            }
        }
        TrainingReport training = baseLora.train(examples, config.baseLora(), config.ewc());
        return new CycleReport(cycle, samples.size(), qualified.size(), extracted, iterations, merge, training);
    }

    private static void addCentroidTargets(
            List<TrajectorySample> qualified, int[] assignment, Pattern[] byCluster, BackgroundConfig config,
            List<TrainingExample> examples) {
        for (int i = 0; i < qualified.size(); i++) {
            TrajectorySample s = qualified.get(i);
            Pattern pattern = byCluster[assignment[i]];
            if (s.hasTarget() || pattern.confidence() < config.bank().confidenceThreshold()) {
                continue;
            }
            double advantage = s.quality() - pattern.qualityMean();
            if (advantage > 0.0) {
                examples.add(new TrainingExample(s.embedding(), pattern.centroid(), (float) (s.weight() * advantage)));
            }
        }
    }
}
