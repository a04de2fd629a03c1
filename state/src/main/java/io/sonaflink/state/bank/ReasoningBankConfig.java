package io.sonaflink.state.bank;

import java.io.Serializable;

/**
 * ReasoningBank limits and the rules a learning cycle refines it by ({@link PatternLearner}).
 * Defaults: seed 004's capacity and confidence threshold (0.5); the separation, memory and
 * retirement were chosen on planted clusters ({@code PatternLearnerTest}).
 *
 * @param capacity patterns kept; the least confident is evicted beyond this
 * @param confidenceThreshold a new pattern below this confidence is not stored
 * @param separation two clusters are one when the density of their members halfway between their
 *     centres, each cluster weighing the same, is at least this share of the density at the sparser
 *     centre: no valley between them ({@link io.sonaflink.state.cluster.ClusterMerger})
 * @param memoryWindows a pattern's history weighs at most this many times a window's members when
 *     its centroid and parameters are refined, so a drifting cluster is followed
 * @param retireAfterCycles a pattern that windows stopped refining this many cycles ago, before it
 *     was established (refined over {@link PatternLearner#ESTABLISHED_SPAN} cycles after its
 *     creation), is retired: a piece of a cluster or a ghost between two. Established patterns
 *     stay when their trajectories stop (an earlier task's). 3 clears a first window's surplus
 *     pieces within a few cycles
 */
public record ReasoningBankConfig(int capacity, float confidenceThreshold, float separation, int memoryWindows,
        int retireAfterCycles) implements Serializable {

    public static final ReasoningBankConfig DEFAULT = new ReasoningBankConfig(1000, 0.5f, 0.5f, 10, 3);

    public ReasoningBankConfig {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        if (!(separation > 0f) || !Float.isFinite(separation)) {
            throw new IllegalArgumentException("separation (a valley ratio) must be positive and finite: " + separation);
        }
        if (memoryWindows < 1 || retireAfterCycles < 1) {
            throw new IllegalArgumentException(
                    "memoryWindows and retireAfterCycles must be positive: " + memoryWindows + ", " + retireAfterCycles);
        }
    }
}
