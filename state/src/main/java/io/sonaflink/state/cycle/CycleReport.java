package io.sonaflink.state.cycle;

import io.sonaflink.state.bank.MergeReport;
import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.lora.TrainingReport;

import java.util.List;

/**
 * What one background cycle did.
 *
 * @param cycle cycle number
 * @param samples trajectories in the window
 * @param qualified trajectories at or above the quality threshold (clustered)
 * @param extracted patterns extracted by k-means this cycle
 * @param kmeansIterations Lloyd iterations
 * @param merge how the extracted patterns entered the bank
 * @param training BaseLoRA / EWC++ outcome
 */
public record CycleReport(
        long cycle,
        int samples,
        int qualified,
        List<Pattern> extracted,
        int kmeansIterations,
        MergeReport merge,
        TrainingReport training) {}
