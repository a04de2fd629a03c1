package io.sonaflink.state.lora;

/**
 * What one BaseLoRA training cycle did.
 *
 * @param examples examples trained on
 * @param lossBefore mean loss of the probe examples at the cycle's starting weights
 * @param lossAfter mean loss of a fresh probe after training
 * @param gradientNorm norm of the probe's mean loss gradient at the starting weights
 * @param boundaryStatistic share of the current task's learned gain that this batch undid at the
 *     starting weights (NaN before the task ended a cycle); see {@code EwcPlusPlus}
 * @param zScore that statistic's z-score against the task's history (NaN while it is short)
 * @param taskBoundary whether this cycle started a new EWC++ task
 * @param lambda EWC++ lambda after the cycle
 * @param penalty EWC++ penalty after the cycle
 * @param tasksRemembered consolidated tasks after the cycle
 */
public record TrainingReport(
        int examples,
        float lossBefore,
        float lossAfter,
        float gradientNorm,
        float boundaryStatistic,
        float zScore,
        boolean taskBoundary,
        float lambda,
        float penalty,
        int tasksRemembered) {}
