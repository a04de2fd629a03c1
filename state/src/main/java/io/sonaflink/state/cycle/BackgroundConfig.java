package io.sonaflink.state.cycle;

import java.io.Serializable;

import io.sonaflink.state.bank.ReasoningBankConfig;
import io.sonaflink.state.cluster.KMeansConfig;
import io.sonaflink.state.ewc.EwcConfig;
import io.sonaflink.state.lora.BaseLoraConfig;

/**
 * Settings of one background learning cycle (seed 004 defaults).
 *
 * @param qualityThreshold trajectories below this quality are not clustered (0.3)
 * @param patternClusters k of k-means (100)
 * @param minTrajectories a window with fewer trajectories is carried over instead of learned (100)
 * @param maxTrajectories the window's reservoir keeps at most this many trajectories (10 000)
 * @param kmeans Lloyd limits
 * @param bank ReasoningBank limits
 * @param baseLora BaseLoRA training settings
 * @param ewc EWC++ settings
 */
public record BackgroundConfig(
        float qualityThreshold,
        int patternClusters,
        int minTrajectories,
        int maxTrajectories,
        KMeansConfig kmeans,
        ReasoningBankConfig bank,
        BaseLoraConfig baseLora,
        EwcConfig ewc) implements Serializable {

    public static final BackgroundConfig DEFAULT = new BackgroundConfig(
            0.3f, 100, 100, 10_000, KMeansConfig.DEFAULT, ReasoningBankConfig.DEFAULT, BaseLoraConfig.DEFAULT, EwcConfig.DEFAULT);

    public BackgroundConfig {
        if (patternClusters < 1 || minTrajectories < 1 || maxTrajectories < minTrajectories) {
            throw new IllegalArgumentException(
                    "need patternClusters >= 1 and 1 <= minTrajectories <= maxTrajectories, got "
                            + patternClusters + ", " + minTrajectories + ", " + maxTrajectories);
        }
    }

    public BackgroundConfig withPatternClusters(int k) {
        return new BackgroundConfig(qualityThreshold, k, minTrajectories, maxTrajectories, kmeans, bank, baseLora, ewc);
    }
}
