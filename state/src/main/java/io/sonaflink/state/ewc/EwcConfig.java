package io.sonaflink.state.ewc;

import java.io.Serializable;

/**
 * EWC++ settings. The seed's strengths (lambda 2000 within [100, 15000]) belong to its heuristic
 * penalty; here the penalty is in units of loss ({@link EwcPlusPlus}), and the defaults were chosen
 * by measurement on a task-switch stream ({@code EwcDefaultsTest}): lambda 1 within [0.25, 16] with
 * a retention target of 0.9, 64 inputs remembered per task, boundary z-score 2.0 (the seed's) and a
 * boundary needing a quarter of the task's gain undone (a switch half-way through a window undoes
 * about 0.3 to 1 of it, a stationary window about 0 to 0.05), 10 tasks (the seed's).
 *
 * @param initialLambda penalty strength of a fresh learner; 0 switches EWC off (no task sample is
 *     kept and nothing is penalised; task boundaries are still detected and reported)
 * @param minLambda lower bound of the adaptive lambda
 * @param maxLambda upper bound of the adaptive lambda
 * @param taskMemory inputs remembered per task (its uniform sample) to measure forgetting on
 * @param boundaryZScore a cycle whose boundary statistic lies this many standard deviations above
 *     the current task's history can mark a task boundary
 * @param maxTasks consolidated tasks remembered; the oldest is dropped beyond this
 * @param boundaryHistory cycles of boundary statistics kept for the z-score
 * @param minHistory cycles of the current task needed before it can end
 * @param retentionTarget share of each old task's learned loss reduction to keep; drives lambda
 * @param boundaryLossIncrease a boundary also needs the new batch to undo at least this share of
 *     what the current task had learned
 */
public record EwcConfig(
        float initialLambda,
        float minLambda,
        float maxLambda,
        int taskMemory,
        float boundaryZScore,
        int maxTasks,
        int boundaryHistory,
        int minHistory,
        float retentionTarget,
        float boundaryLossIncrease) implements Serializable {

    public static final EwcConfig DEFAULT =
            new EwcConfig(1f, 0.25f, 16f, 64, 2.0f, 10, 100, 3, 0.9f, 0.25f);

    public EwcConfig {
        if (!(minLambda >= 0f) || minLambda > maxLambda || !Float.isFinite(maxLambda)) {
            throw new IllegalArgumentException(
                    "need 0 <= minLambda <= maxLambda (finite), got " + minLambda + ", " + maxLambda);
        }
        if (initialLambda != 0f && !(initialLambda >= minLambda && initialLambda <= maxLambda)) {
            throw new IllegalArgumentException("initialLambda must be 0 (EWC off) or within [minLambda, maxLambda], got "
                    + initialLambda + " with [" + minLambda + ", " + maxLambda + "]");
        }
        if (taskMemory < 1) {
            throw new IllegalArgumentException("taskMemory must be positive: " + taskMemory);
        }
        if (maxTasks < 1 || boundaryHistory < 2 || minHistory < 2 || minHistory > boundaryHistory) {
            throw new IllegalArgumentException("invalid task or history sizes");
        }
        if (!(retentionTarget > 0f && retentionTarget < 1f)) {
            throw new IllegalArgumentException("retentionTarget must be in (0, 1): " + retentionTarget);
        }
        if (!(boundaryLossIncrease >= 0f)) {
            throw new IllegalArgumentException("boundaryLossIncrease must be non-negative: " + boundaryLossIncrease);
        }
    }

    /** Whether the penalty is on. */
    public boolean enabled() {
        return initialLambda > 0f;
    }

    /** The same settings with EWC switched off. */
    public EwcConfig disabled() {
        return withLambda(0f);
    }

    /** The same settings with another starting lambda (0: off). */
    public EwcConfig withLambda(float lambda) {
        return new EwcConfig(lambda, lambda == 0f ? 0f : Math.min(minLambda, lambda), Math.max(maxLambda, lambda),
                taskMemory, boundaryZScore, maxTasks, boundaryHistory, minHistory, retentionTarget,
                boundaryLossIncrease);
    }
}
