package io.sonaflink.state.ewc;

import io.sonaflink.state.math.Blocks;

import java.util.Arrays;
import java.util.Objects;

/**
 * One remembered task: the weights it ended with ({@code theta*}), their Fisher information, and
 * the task's mean loss when it started and when it was consolidated (its learned gain).
 */
public record ConsolidatedTask(float[][] anchor, float[][] fisher, float startLoss, float endLoss) {

    public ConsolidatedTask {
        if (!Blocks.sameShape(anchor, fisher)) {
            throw new IllegalArgumentException("anchor and fisher differ in size");
        }
    }

    /** {@code 1/2 * sum_i F_i (theta_i - theta*_i)^2}: the quadratic estimate of this task's loss increase. */
    public float estimatedLossIncrease(float[][] theta) {
        double sum = 0.0;
        for (int r = 0; r < theta.length; r++) {
            float[] t = theta[r];
            float[] a = anchor[r];
            float[] f = fisher[r];
            float rowSum = 0f;
            for (int i = 0; i < t.length; i++) {
                float d = t[i] - a[i];
                rowSum += f[i] * d * d;
            }
            sum += rowSum;
        }
        return (float) (0.5 * sum);
    }

    /** The loss reduction the task had achieved when it was consolidated (never below a tiny floor). */
    public float learnedGain() {
        return Math.max(startLoss - endLoss, 1e-6f * Math.max(1f, Math.abs(startLoss)));
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ConsolidatedTask)) {
            return false;
        }
        ConsolidatedTask that = (ConsolidatedTask) o;
        return Float.compare(startLoss, that.startLoss) == 0
                && Float.compare(endLoss, that.endLoss) == 0
                && Arrays.deepEquals(anchor, that.anchor)
                && Arrays.deepEquals(fisher, that.fisher);
    }

    @Override
    public int hashCode() {
        return Objects.hash(startLoss, endLoss) * 31 + Arrays.deepHashCode(anchor);
    }

    @Override
    public String toString() {
        return "ConsolidatedTask{params=" + Blocks.size(anchor) + ", startLoss=" + startLoss + ", endLoss=" + endLoss + '}';
    }
}
