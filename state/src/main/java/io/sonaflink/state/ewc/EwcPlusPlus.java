package io.sonaflink.state.ewc;

import io.sonaflink.state.math.Blocks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * EWC++: elastic weight consolidation with an online Fisher estimate, automatic task-boundary
 * detection and an adaptive penalty strength (seed 004, "EWC++ Integration").
 *
 * <ul>
 *   <li><b>Fisher.</b> An EMA (decay {@link EwcConfig#fisherDecay()}) of per-sample squared
 *       gradients, bias-corrected like Adam's moments. The caller feeds gradients taken with a
 *       label sampled from the model (the true Fisher of the Gaussian output model), not the
 *       observed target: the empirical Fisher vanishes once a task is fit exactly and would then
 *       protect nothing. For the squared loss this Fisher is the Gauss-Newton curvature, so
 *       {@link ConsolidatedTask#estimatedLossIncrease} is a calibrated forecast of forgetting.
 *   <li><b>Penalty.</b> {@code lambda/2 * sum_t sum_i F_t,i (theta_i - theta*_t,i)^2} over the
 *       remembered tasks, gradient {@code lambda * sum_t F_t (theta - theta*_t)}: a pull toward the
 *       consolidated weights, not a rescaling of gradients.
 *   <li><b>Task boundary.</b> Once per learning cycle the norm of the mean loss gradient over the
 *       cycle's batch, at the cycle's starting weights, is compared with the last {@link
 *       EwcConfig#gradientHistory()} norms; a z-score above {@link EwcConfig#boundaryZScore()},
 *       together with a mean loss clearly above the one the previous cycle ended with ({@link
 *       EwcConfig#boundaryLossIncrease()}), consolidates the current weights and Fisher as a finished task (the oldest task is dropped
 *       beyond {@link EwcConfig#maxTasks()}), then restarts the Fisher and the history for the new
 *       task. The standard deviation is floored at 10% of the mean so that a flat history does not
 *       turn ordinary noise into boundaries.
 *   <li><b>Adaptive lambda.</b> After each cycle, for every remembered task, the forecast loss
 *       increase is compared with a budget of {@code (1 - retentionTarget)} of the loss reduction
 *       that task had achieved. If any task is over budget, lambda doubles; if all are under a
 *       quarter of their budget, lambda shrinks by a quarter so new tasks learn faster. Lambda stays
 *       within {@code [minLambda, maxLambda]}.
 * </ul>
 */
public final class EwcPlusPlus {

    /** Relative floor of the history's standard deviation in the z-score. */
    static final float MIN_RELATIVE_STD = 0.1f;

    private final float[][] fisher;
    /** {@code 1 - decay^n}: the EMA's bias-correction mass. */
    private float fisherMass;
    private final List<ConsolidatedTask> tasks;
    private final float[] gradientNormHistory;
    private int historySize;
    private int historyNext;
    private float lambda;
    private long boundariesDetected;
    private float currentTaskStartLoss;
    private float currentTaskLastLoss;

    public EwcPlusPlus(
            float[][] fisher,
            float fisherMass,
            List<ConsolidatedTask> tasks,
            float[] gradientNormHistory,
            int historySize,
            int historyNext,
            float lambda,
            long boundariesDetected,
            float currentTaskStartLoss,
            float currentTaskLastLoss) {
        for (ConsolidatedTask task : tasks) {
            if (!Blocks.sameShape(task.anchor(), fisher)) {
                throw new IllegalArgumentException("a consolidated task does not match the parameter shape");
            }
        }
        if (historySize > gradientNormHistory.length || historyNext >= gradientNormHistory.length) {
            throw new IllegalArgumentException("gradient history indices out of range");
        }
        this.fisher = fisher;
        this.fisherMass = fisherMass;
        this.tasks = new ArrayList<>(tasks);
        this.gradientNormHistory = gradientNormHistory;
        this.historySize = historySize;
        this.historyNext = historyNext;
        this.lambda = lambda;
        this.boundariesDetected = boundariesDetected;
        this.currentTaskStartLoss = currentTaskStartLoss;
        this.currentTaskLastLoss = currentTaskLastLoss;
    }

    /** A fresh learner for parameters shaped like {@code shape}. */
    public static EwcPlusPlus create(float[][] shape, EwcConfig config) {
        return new EwcPlusPlus(
                Blocks.zerosLike(shape),
                0f,
                List.of(),
                new float[config.gradientHistory()],
                0,
                0,
                config.initialLambda(),
                0L,
                Float.NaN,
                Float.NaN);
    }

    /** Folds one per-sample gradient into the Fisher EMA: {@code F = d*F + (1-d)*g^2}. */
    public void accumulateFisher(float[][] sampleGradient, EwcConfig config) {
        float d = config.fisherDecay();
        float keep = 1f - d;
        for (int r = 0; r < fisher.length; r++) {
            float[] f = fisher[r];
            float[] g = sampleGradient[r];
            for (int i = 0; i < f.length; i++) {
                f[i] = d * f[i] + keep * g[i] * g[i];
            }
        }
        fisherMass = d * fisherMass + keep;
    }

    /** Bias-corrected Fisher estimate of the current task (a copy). */
    public float[][] currentFisher() {
        float[][] f = Blocks.copy(fisher);
        Blocks.scale(f, fisherMass > 0f ? 1f / fisherMass : 0f);
        return f;
    }

    /** z-score of {@code norm} against the history, or NaN while the history is too short. */
    public float zScore(float norm, EwcConfig config) {
        if (historySize < config.minHistory()) {
            return Float.NaN;
        }
        double sum = 0.0;
        double sumSq = 0.0;
        for (int i = 0; i < historySize; i++) {
            sum += gradientNormHistory[i];
            sumSq += (double) gradientNormHistory[i] * gradientNormHistory[i];
        }
        double mean = sum / historySize;
        double variance = Math.max(0.0, sumSq / historySize - mean * mean);
        double std = Math.max(Math.sqrt(variance), MIN_RELATIVE_STD * Math.abs(mean));
        if (std == 0.0) {
            return norm > mean ? Float.POSITIVE_INFINITY : 0f;
        }
        return (float) ((norm - mean) / std);
    }

    /**
     * Called once per cycle before training, with the norm of the cycle's mean loss gradient and
     * the mean loss, at the current weights {@code theta}. Consolidates a task when a boundary is
     * detected.
     *
     * @return true when this cycle starts a new task
     */
    public boolean observeCycleStart(float gradientNorm, float meanLoss, float[][] theta, EwcConfig config) {
        float z = zScore(gradientNorm, config);
        // A new task also fits the current weights clearly worse than the last cycle's data did.
        // This keeps the gradient growth of early LoRA training (B starts at zero) and optimiser
        // jitter around a converged task from reading as boundaries.
        boolean lossRose = Float.isNaN(currentTaskLastLoss)
                || meanLoss > currentTaskLastLoss * (1f + config.boundaryLossIncrease());
        boolean boundary = !Float.isNaN(z) && z > config.boundaryZScore() && lossRose;
        if (boundary) {
            consolidate(theta, config);
            boundariesDetected++;
            historySize = 0;
            historyNext = 0;
            currentTaskStartLoss = meanLoss;
            currentTaskLastLoss = Float.NaN;
        } else if (Float.isNaN(currentTaskStartLoss)) {
            currentTaskStartLoss = meanLoss;
        }
        gradientNormHistory[historyNext] = gradientNorm;
        historyNext = (historyNext + 1) % gradientNormHistory.length;
        historySize = Math.min(historySize + 1, gradientNormHistory.length);
        return boundary;
    }

    /** Called once per cycle after training with the mean loss reached; adapts lambda. */
    public void observeCycleEnd(float meanLoss, float[][] theta, EwcConfig config) {
        currentTaskLastLoss = meanLoss;
        if (tasks.isEmpty()) {
            return;
        }
        float worst = 0f;
        for (ConsolidatedTask task : tasks) {
            float budget = (1f - config.retentionTarget()) * task.learnedGain();
            worst = Math.max(worst, task.estimatedLossIncrease(theta) / budget);
        }
        if (worst > 1f) {
            lambda = Math.min(lambda * 2f, config.maxLambda());
        } else if (worst < 0.25f) {
            lambda = Math.max(lambda * 0.75f, config.minLambda());
        }
    }

    /** Stores the current weights and Fisher as a finished task and restarts the Fisher EMA. */
    void consolidate(float[][] theta, EwcConfig config) {
        if (fisherMass > 0f) {
            float start = Float.isNaN(currentTaskStartLoss) ? 0f : currentTaskStartLoss;
            float end = Float.isNaN(currentTaskLastLoss) ? start : currentTaskLastLoss;
            tasks.add(new ConsolidatedTask(Blocks.copy(theta), currentFisher(), start, end));
            while (tasks.size() > config.maxTasks()) {
                tasks.remove(0);
            }
        }
        Blocks.clear(fisher);
        fisherMass = 0f;
    }

    /** {@code lambda/2 * sum_t sum_i F_t,i (theta_i - theta*_t,i)^2}. */
    public float penalty(float[][] theta) {
        double sum = 0.0;
        for (ConsolidatedTask task : tasks) {
            sum += task.estimatedLossIncrease(theta);
        }
        return (float) (lambda * sum);
    }

    /** Adds {@code lambda * sum_t F_t (theta - theta*_t)} to {@code gradient}. */
    public void addPenaltyGradient(float[][] theta, float[][] gradient) {
        for (ConsolidatedTask task : tasks) {
            for (int r = 0; r < theta.length; r++) {
                float[] t = theta[r];
                float[] a = task.anchor()[r];
                float[] f = task.fisher()[r];
                float[] g = gradient[r];
                for (int i = 0; i < t.length; i++) {
                    g[i] += lambda * f[i] * (t[i] - a[i]);
                }
            }
        }
    }

    public int parameterCount() {
        return Blocks.size(fisher);
    }

    /** The raw (not bias-corrected) Fisher EMA; live. */
    public float[][] fisher() {
        return fisher;
    }

    public float fisherMass() {
        return fisherMass;
    }

    public List<ConsolidatedTask> tasks() {
        return List.copyOf(tasks);
    }

    public float[] gradientNormHistory() {
        return gradientNormHistory;
    }

    public int historySize() {
        return historySize;
    }

    public int historyNext() {
        return historyNext;
    }

    public float lambda() {
        return lambda;
    }

    public long boundariesDetected() {
        return boundariesDetected;
    }

    public float currentTaskStartLoss() {
        return currentTaskStartLoss;
    }

    public float currentTaskLastLoss() {
        return currentTaskLastLoss;
    }

    public EwcPlusPlus copy() {
        List<ConsolidatedTask> copied = new ArrayList<>(tasks.size());
        for (ConsolidatedTask t : tasks) {
            copied.add(new ConsolidatedTask(Blocks.copy(t.anchor()), Blocks.copy(t.fisher()), t.startLoss(), t.endLoss()));
        }
        return new EwcPlusPlus(
                Blocks.copy(fisher), fisherMass, copied, gradientNormHistory.clone(),
                historySize, historyNext, lambda, boundariesDetected, currentTaskStartLoss, currentTaskLastLoss);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof EwcPlusPlus)) {
            return false;
        }
        EwcPlusPlus that = (EwcPlusPlus) o;
        return Float.compare(fisherMass, that.fisherMass) == 0
                && historySize == that.historySize
                && historyNext == that.historyNext
                && Float.compare(lambda, that.lambda) == 0
                && boundariesDetected == that.boundariesDetected
                && Float.compare(currentTaskStartLoss, that.currentTaskStartLoss) == 0
                && Float.compare(currentTaskLastLoss, that.currentTaskLastLoss) == 0
                && Arrays.deepEquals(fisher, that.fisher)
                && tasks.equals(that.tasks)
                && Arrays.equals(gradientNormHistory, that.gradientNormHistory);
    }

    @Override
    public int hashCode() {
        return Objects.hash(fisherMass, tasks, lambda, boundariesDetected);
    }
}
