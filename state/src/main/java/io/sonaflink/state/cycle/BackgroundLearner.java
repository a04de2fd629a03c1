package io.sonaflink.state.cycle;

import io.sonaflink.state.bank.PatternLearner;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.lora.BaseLora;
import io.sonaflink.state.lora.TrainingExample;
import io.sonaflink.state.lora.TrainingReport;
import io.sonaflink.state.sample.TrajectorySample;

import java.util.ArrayList;
import java.util.List;

/**
 * One background learning cycle over a window's trajectories, in seed 002's order: quality
 * filter, patterns ({@link PatternLearner}: k-means warm-started from the ReasoningBank, pieces of
 * one cluster joined, the bank refined, stale patterns retired), then BaseLoRA training with EWC++
 * (task-boundary detection included).
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

        PatternLearner.Outcome patterns = PatternLearner.refine(bank, qualified, config.patternClusters(),
                config.kmeans(), config.bank(), cycle, seed);
        List<TrainingExample> examples = new ArrayList<>();
        for (TrajectorySample s : samples) {
            if (s.hasTarget() && s.weight() > 0f) {
                examples.add(new TrainingExample(s.embedding(), s.target(), s.weight()));
            }
        }
        TrainingReport training = baseLora.train(examples, config.baseLora(), config.ewc());
        return new CycleReport(cycle, samples.size(), qualified.size(), patterns.windowPatterns(),
                patterns.kmeansIterations(), patterns.report(), training);
    }
}
