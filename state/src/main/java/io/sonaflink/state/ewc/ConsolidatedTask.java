package io.sonaflink.state.ewc;

import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.LoraWorkspace;

import java.util.Arrays;
import java.util.Objects;

/**
 * One remembered task: a uniform sample of its inputs, the outputs the adapter gave them when the
 * task was consolidated ({@code f*(x)}), and the task's mean loss when it started and when it was
 * consolidated (its learned gain).
 *
 * <p>For the squared loss, the increase of the task's mean loss when the adapter moves from
 * {@code f*} to {@code f} is {@code E[(f - f*)·(f* - y)] + 1/2 E||f - f*||^2}; the first term
 * vanishes where the task was fit (its residual is orthogonal to every direction the adapter can
 * move in), so {@link #estimatedLossIncrease} measures the second on the sample. It is the
 * quadratic form of the task's exact Gauss-Newton Fisher ({@code E[J^T J]} over its inputs), full
 * rather than diagonal and without linearising the product {@code B A}.
 */
public record ConsolidatedTask(float[][] inputs, float[][] anchorOutputs, float startLoss, float endLoss) {

    public ConsolidatedTask {
        if (inputs.length == 0 || inputs.length != anchorOutputs.length) {
            throw new IllegalArgumentException(
                    "a task needs as many anchor outputs as inputs (at least one), got "
                            + inputs.length + " and " + anchorOutputs.length);
        }
        int dim = inputs[0].length;
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].length != dim || anchorOutputs[i].length != dim) {
                throw new IllegalArgumentException("task sample " + i + " does not have dimension " + dim);
            }
        }
    }

    /** Consolidates {@code adapter} on {@code inputs}: its current outputs become the anchors. */
    public static ConsolidatedTask of(LoraAdapter adapter, float[][] inputs, float startLoss, float endLoss) {
        float[][] anchors = new float[inputs.length][];
        LoraWorkspace ws = adapter.newWorkspace();
        for (int i = 0; i < inputs.length; i++) {
            anchors[i] = new float[adapter.dim()];
            adapter.forward(inputs[i], anchors[i], ws);
        }
        return new ConsolidatedTask(inputs, anchors, startLoss, endLoss);
    }

    public int dim() {
        return inputs[0].length;
    }

    public int size() {
        return inputs.length;
    }

    /** {@code 1/2 mean_i ||f(x_i) - f*(x_i)||^2}: how much worse {@code adapter} fits this task. */
    public float estimatedLossIncrease(LoraAdapter adapter, LoraWorkspace ws) {
        double sum = 0.0;
        for (int i = 0; i < inputs.length; i++) {
            sum += adapter.loss(inputs[i], anchorOutputs[i], 1f, ws);
        }
        return (float) (sum / inputs.length);
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
                && Arrays.deepEquals(inputs, that.inputs)
                && Arrays.deepEquals(anchorOutputs, that.anchorOutputs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(startLoss, endLoss) * 31 + Arrays.deepHashCode(inputs);
    }

    @Override
    public String toString() {
        return "ConsolidatedTask{samples=" + inputs.length + ", startLoss=" + startLoss + ", endLoss=" + endLoss + '}';
    }
}
