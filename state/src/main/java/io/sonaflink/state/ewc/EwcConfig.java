package io.sonaflink.state.ewc;

import java.io.Serializable;

/**
 * EWC++ settings (seed 004 defaults: lambda 2000 within [100, 15000], Fisher decay 0.999,
 * boundary z-score 2.0, 10 tasks, gradient history 100).
 *
 * @param initialLambda penalty strength of a fresh learner
 * @param minLambda lower bound of the adaptive lambda
 * @param maxLambda upper bound of the adaptive lambda
 * @param fisherDecay per-sample decay of the Fisher EMA
 * @param boundaryZScore a batch gradient norm this many standard deviations above the recent
 *     history marks a task boundary
 * @param maxTasks consolidated tasks remembered; the oldest is dropped beyond this
 * @param gradientHistory batch gradient norms kept for the z-score
 * @param minHistory norms needed before a boundary can be declared
 * @param retentionTarget share of each old task's learned loss reduction to keep; drives lambda
 * @param boundaryLossIncrease a boundary also needs the cycle's starting loss to exceed the loss
 *     the previous cycle ended with by this fraction
 */
public record EwcConfig(
        float initialLambda,
        float minLambda,
        float maxLambda,
        float fisherDecay,
        float boundaryZScore,
        int maxTasks,
        int gradientHistory,
        int minHistory,
        float retentionTarget,
        float boundaryLossIncrease) implements Serializable {

    public static final EwcConfig DEFAULT =
            new EwcConfig(2000f, 100f, 15000f, 0.999f, 2.0f, 10, 100, 3, 0.95f, 0.2f);

    public EwcConfig {
        if (!(minLambda > 0f) || minLambda > maxLambda || initialLambda < minLambda || initialLambda > maxLambda) {
            throw new IllegalArgumentException(
                    "need 0 < minLambda <= initialLambda <= maxLambda, got "
                            + minLambda + ", " + initialLambda + ", " + maxLambda);
        }
        if (!(fisherDecay > 0f && fisherDecay < 1f)) {
            throw new IllegalArgumentException("fisherDecay must be in (0, 1): " + fisherDecay);
        }
        if (maxTasks < 1 || gradientHistory < 2 || minHistory < 2 || minHistory > gradientHistory) {
            throw new IllegalArgumentException("invalid task or history sizes");
        }
        if (!(retentionTarget > 0f && retentionTarget < 1f)) {
            throw new IllegalArgumentException("retentionTarget must be in (0, 1): " + retentionTarget);
        }
        if (!(boundaryLossIncrease >= 0f)) {
            throw new IllegalArgumentException("boundaryLossIncrease must be non-negative: " + boundaryLossIncrease);
        }
    }
}
