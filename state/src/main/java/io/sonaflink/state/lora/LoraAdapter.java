package io.sonaflink.state.lora;

import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.math.Vectors;

import java.util.Arrays;
import java.util.Objects;

/**
 * A stack of LoRA layers on a {@code dim}-dimensional embedding. Layer {@code l} maps
 * {@code x -> x + s * B_l * A_l * x} with {@code A_l} of shape {@code rank x dim}, {@code B_l} of
 * shape {@code dim x rank} and {@code s = alpha / rank}.
 *
 * <p>All weights live in one flat {@link #params()} array so optimisers and EWC++ can treat them
 * as a single parameter vector. Layer {@code l} occupies {@code [l * 2rd, (l + 1) * 2rd)}: first
 * {@code A} row-major, then {@code B} row-major. A new adapter has small random {@code A} and zero
 * {@code B}, so it is exactly the identity until it learns.
 *
 * <p>The loss of an example {@code (x, y, w)} is {@code w * 1/2 * ||f(x) - y||^2}; {@link
 * #accumulateGradient} adds its exact gradient (hand-derived backpropagation, checked against
 * finite differences in the tests).
 */
public final class LoraAdapter {

    private final int dim;
    private final int rank;
    private final int layers;
    private final float alpha;
    private final float scale;
    private final float[] params;

    /** Wraps existing weights (used by deserialisation and copies). */
    public LoraAdapter(int dim, int rank, int layers, float alpha, float[] params) {
        if (dim <= 0 || rank <= 0 || layers <= 0) {
            throw new IllegalArgumentException(
                    "dim, rank and layers must be positive: " + dim + ", " + rank + ", " + layers);
        }
        if (rank > dim) {
            throw new IllegalArgumentException("rank " + rank + " exceeds dim " + dim);
        }
        if (!(alpha > 0f) || !Float.isFinite(alpha)) {
            throw new IllegalArgumentException("alpha must be positive and finite: " + alpha);
        }
        if (params.length != parameterCount(dim, rank, layers)) {
            throw new IllegalArgumentException(
                    "expected " + parameterCount(dim, rank, layers) + " parameters, got " + params.length);
        }
        this.dim = dim;
        this.rank = rank;
        this.layers = layers;
        this.alpha = alpha;
        this.scale = alpha / rank;
        this.params = params;
    }

    /**
     * A fresh (identity) adapter: {@code A} uniform in {@code +-1/sqrt(dim)} (the PEFT default
     * bound), {@code B} zero.
     */
    public static LoraAdapter initialize(int dim, int rank, int layers, float alpha, long seed) {
        float[] params = new float[parameterCount(dim, rank, layers)];
        DeterministicRandom random = new DeterministicRandom(seed);
        float bound = (float) (1.0 / Math.sqrt(dim));
        int layerSize = 2 * rank * dim;
        for (int l = 0; l < layers; l++) {
            int aOff = l * layerSize;
            for (int i = 0; i < rank * dim; i++) {
                params[aOff + i] = (float) ((2.0 * random.nextDouble() - 1.0) * bound);
            }
        }
        return new LoraAdapter(dim, rank, layers, alpha, params);
    }

    public static int parameterCount(int dim, int rank, int layers) {
        return layers * 2 * rank * dim;
    }

    public int dim() {
        return dim;
    }

    public int rank() {
        return rank;
    }

    public int layers() {
        return layers;
    }

    public float alpha() {
        return alpha;
    }

    /** {@code alpha / rank}. */
    public float scale() {
        return scale;
    }

    /** The live parameter vector (not a copy). */
    public float[] params() {
        return params;
    }

    public int parameterCount() {
        return params.length;
    }

    /** Offset of layer {@code l}'s {@code A} in {@link #params()}. */
    public int aOffset(int layer) {
        return layer * 2 * rank * dim;
    }

    /** Offset of layer {@code l}'s {@code B} in {@link #params()}. */
    public int bOffset(int layer) {
        return aOffset(layer) + rank * dim;
    }

    public LoraAdapter copy() {
        return new LoraAdapter(dim, rank, layers, alpha, params.clone());
    }

    public LoraWorkspace newWorkspace() {
        return new LoraWorkspace(dim, rank, layers);
    }

    /** {@code out = f(x)}; {@code out} may not alias {@code x}. Allocation-free. */
    public void forward(float[] x, float[] out, LoraWorkspace ws) {
        forwardInto(x, ws);
        System.arraycopy(ws.activations, layers * dim, out, 0, dim);
    }

    /** Convenience forward that allocates its result. */
    public float[] apply(float[] x) {
        float[] out = new float[dim];
        forward(x, out, newWorkspace());
        return out;
    }

    /** Loss {@code w * 1/2 * ||f(x) - y||^2} at the current weights. */
    public float loss(float[] x, float[] y, float w, LoraWorkspace ws) {
        forwardInto(x, ws);
        int outOff = layers * dim;
        float sum = 0f;
        for (int i = 0; i < dim; i++) {
            float e = ws.activations[outOff + i] - y[i];
            sum += e * e;
        }
        return 0.5f * w * sum;
    }

    /**
     * Adds the gradient of {@code w * 1/2 * ||f(x) - y||^2} to {@code grad} (same layout as {@link
     * #params()}) and returns the loss before any update. Allocation-free.
     */
    public float accumulateGradient(float[] x, float[] y, float w, float[] grad, LoraWorkspace ws) {
        checkDim(x);
        checkDim(y);
        forwardInto(x, ws);
        int outOff = layers * dim;
        float[] g = ws.outputGradient;
        float sum = 0f;
        for (int i = 0; i < dim; i++) {
            float e = ws.activations[outOff + i] - y[i];
            sum += e * e;
            g[i] = w * e;
        }
        backward(grad, ws);
        return 0.5f * w * sum;
    }

    /**
     * Backpropagates {@code ws.outputGradient} (dL/df) through the activations of the last forward
     * pass and adds the parameter gradient to {@code grad}. {@code ws.outputGradient} is consumed.
     */
    void backward(float[] grad, LoraWorkspace ws) {
        float[] g = ws.outputGradient;
        float[] gh = ws.hiddenGradient;
        for (int l = layers - 1; l >= 0; l--) {
            int aOff = aOffset(l);
            int bOff = bOffset(l);
            int xOff = l * dim;
            int hOff = l * rank;
            // dL/dB[i,k] = s * g[i] * h[k];  gh[k] = s * sum_i B[i,k] * g[i]
            for (int k = 0; k < rank; k++) {
                gh[k] = 0f;
            }
            for (int i = 0; i < dim; i++) {
                float sgi = scale * g[i];
                int row = bOff + i * rank;
                for (int k = 0; k < rank; k++) {
                    grad[row + k] += sgi * ws.hidden[hOff + k];
                    gh[k] += params[row + k] * sgi;
                }
            }
            // dL/dA[k,j] = gh[k] * x[j]
            for (int k = 0; k < rank; k++) {
                float ghk = gh[k];
                int row = aOff + k * dim;
                for (int j = 0; j < dim; j++) {
                    grad[row + j] += ghk * ws.activations[xOff + j];
                }
            }
            if (l > 0) {
                // dL/dx_l = g + A^T gh (the identity path plus the low-rank path)
                for (int k = 0; k < rank; k++) {
                    float ghk = gh[k];
                    int row = aOff + k * dim;
                    for (int j = 0; j < dim; j++) {
                        g[j] += ghk * params[row + j];
                    }
                }
            }
        }
    }

    /** Runs the forward pass, keeping every layer's input and hidden activation in {@code ws}. */
    void forwardInto(float[] x, LoraWorkspace ws) {
        checkDim(x);
        float[] act = ws.activations;
        System.arraycopy(x, 0, act, 0, dim);
        for (int l = 0; l < layers; l++) {
            int aOff = aOffset(l);
            int bOff = bOffset(l);
            int inOff = l * dim;
            int outOff = inOff + dim;
            int hOff = l * rank;
            for (int k = 0; k < rank; k++) {
                ws.hidden[hOff + k] =
                        Vectors.dot(params, aOff + k * dim, act, inOff, dim);
            }
            for (int i = 0; i < dim; i++) {
                float delta = 0f;
                int row = bOff + i * rank;
                for (int k = 0; k < rank; k++) {
                    delta += params[row + k] * ws.hidden[hOff + k];
                }
                act[outOff + i] = act[inOff + i] + scale * delta;
            }
        }
    }

    private void checkDim(float[] v) {
        if (v.length != dim) {
            throw new IllegalArgumentException(
                    "expected a " + dim + "-dimensional vector, got " + v.length);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof LoraAdapter)) {
            return false;
        }
        LoraAdapter that = (LoraAdapter) o;
        return dim == that.dim
                && rank == that.rank
                && layers == that.layers
                && Float.compare(alpha, that.alpha) == 0
                && Arrays.equals(params, that.params);
    }

    @Override
    public int hashCode() {
        return Objects.hash(dim, rank, layers, alpha) * 31 + Arrays.hashCode(params);
    }

    @Override
    public String toString() {
        return "LoraAdapter{dim=" + dim + ", rank=" + rank + ", layers=" + layers + ", alpha=" + alpha + '}';
    }
}
