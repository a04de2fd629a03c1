package io.sonaflink.state.lora;

import io.sonaflink.state.math.Blocks;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.math.Vectors;

import java.util.Arrays;
import java.util.Objects;

/**
 * A stack of LoRA layers on a {@code dim}-dimensional embedding. Layer {@code l} maps
 * {@code x -> x + s * B_l * A_l * x} with {@code A_l} of shape {@code rank x dim}, {@code B_l} of
 * shape {@code dim x rank} and {@code s = alpha / rank}.
 *
 * <p>The weights are parameter blocks ({@link #weights()}): {@code 2 * rank * layers} rows of
 * length {@code dim}. Layer {@code l} owns rows {@code [l * 2r, (l + 1) * 2r)}: first the rows of
 * {@code A_l}, then the columns of {@code B_l} (row {@code l * 2r + r + k} is {@code B_l[:, k]}).
 * Optimisers and EWC++ treat the blocks as one parameter vector. A new adapter has small random
 * {@code A} and zero {@code B}, so it is exactly the identity until it learns.
 *
 * <p>The loss of an example {@code (x, y, w)} is {@code w * 1/2 * ||f(x) - y||^2}; {@link
 * #accumulateGradient} adds its exact gradient (hand-derived backpropagation, checked against
 * finite differences in the tests). Every per-row loop is an axpy or a dot product over whole
 * rows, the shape HotSpot vectorises.
 */
public final class LoraAdapter {

    private final int dim;
    private final int rank;
    private final int layers;
    private final float alpha;
    private final float scale;
    private final float[][] weights;

    /** Wraps existing weights (used by deserialisation and copies). */
    public LoraAdapter(int dim, int rank, int layers, float alpha, float[][] weights) {
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
        if (weights.length != 2 * rank * layers) {
            throw new IllegalArgumentException("expected " + 2 * rank * layers + " weight rows, got " + weights.length);
        }
        for (float[] row : weights) {
            if (row.length != dim) {
                throw new IllegalArgumentException("weight row of length " + row.length + ", expected " + dim);
            }
        }
        this.dim = dim;
        this.rank = rank;
        this.layers = layers;
        this.alpha = alpha;
        this.scale = alpha / rank;
        this.weights = weights;
    }

    /**
     * A fresh (identity) adapter: {@code A} uniform in {@code +-1/sqrt(dim)} (the PEFT default
     * bound), {@code B} zero.
     */
    public static LoraAdapter initialize(int dim, int rank, int layers, float alpha, long seed) {
        float[][] weights = new float[2 * rank * layers][dim];
        DeterministicRandom random = new DeterministicRandom(seed);
        float bound = (float) (1.0 / Math.sqrt(dim));
        for (int l = 0; l < layers; l++) {
            for (int k = 0; k < rank; k++) {
                float[] row = weights[l * 2 * rank + k];
                for (int j = 0; j < dim; j++) {
                    row[j] = (float) ((2.0 * random.nextDouble() - 1.0) * bound);
                }
            }
        }
        return new LoraAdapter(dim, rank, layers, alpha, weights);
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

    /** The live weight blocks (not a copy); see the class comment for the layout. */
    public float[][] weights() {
        return weights;
    }

    /** Row of {@code A_layer} for hidden unit {@code k}. */
    public float[] aRow(int layer, int k) {
        return weights[layer * 2 * rank + k];
    }

    /** Column {@code k} of {@code B_layer}. */
    public float[] bColumn(int layer, int k) {
        return weights[layer * 2 * rank + rank + k];
    }

    public int parameterCount() {
        return weights.length * dim;
    }

    /** Zero blocks shaped like the weights, for gradients and optimiser state. */
    public float[][] newBlocks() {
        return new float[weights.length][dim];
    }

    public LoraAdapter copy() {
        return new LoraAdapter(dim, rank, layers, alpha, Blocks.copy(weights));
    }

    public LoraWorkspace newWorkspace() {
        return new LoraWorkspace(dim, rank, layers);
    }

    /** {@code out = f(x)}; {@code out} may not alias {@code x}. Allocation-free. */
    public void forward(float[] x, float[] out, LoraWorkspace ws) {
        forwardInto(x, ws);
        System.arraycopy(ws.activations[layers], 0, out, 0, dim);
    }

    /**
     * {@code out += f(x) - x}: this adapter's change of {@code x}, added to what {@code out} holds.
     * {@code out} may not alias {@code x}. Allocation-free.
     */
    public void addDelta(float[] x, float[] out, LoraWorkspace ws) {
        forwardInto(x, ws);
        float[] fx = ws.activations[layers];
        for (int i = 0; i < dim; i++) {
            out[i] += fx[i] - x[i];
        }
    }

    /** Convenience forward that allocates its result. */
    public float[] apply(float[] x) {
        float[] out = new float[dim];
        forward(x, out, newWorkspace());
        return out;
    }

    /** Loss {@code w * 1/2 * ||f(x) - y||^2} at the current weights; leaves the activations in {@code ws}. */
    public float loss(float[] x, float[] y, float w, LoraWorkspace ws) {
        checkDim(y);
        forwardInto(x, ws);
        return 0.5f * w * Vectors.squaredDistance(ws.activations[layers], 0, y, 0, dim);
    }

    /**
     * Adds the gradient of {@code w * 1/2 * ||f(x) - y||^2} to {@code grad} (blocks shaped like
     * {@link #weights()}) and returns the loss before any update. Allocation-free.
     */
    public float accumulateGradient(float[] x, float[] y, float w, float[][] grad, LoraWorkspace ws) {
        checkDim(y);
        forwardInto(x, ws);
        float[] out = ws.activations[layers];
        float[] g = ws.outputGradient;
        for (int i = 0; i < dim; i++) {
            g[i] = out[i] - y[i];
        }
        float loss = 0.5f * w * Vectors.squaredNorm(g);
        for (int i = 0; i < dim; i++) {
            g[i] *= w;
        }
        backward(grad, ws);
        return loss;
    }

    /**
     * Backpropagates {@code ws.outputGradient} (dL/df) through the activations of the last forward
     * pass and adds the parameter gradient to {@code grad}. {@code ws.outputGradient} is consumed.
     */
    void backward(float[][] grad, LoraWorkspace ws) {
        float[] g = ws.outputGradient;
        float[] gh = ws.hiddenGradient;
        for (int l = layers - 1; l >= 0; l--) {
            float[] x = ws.activations[l];
            float[] h = ws.hidden[l];
            int base = l * 2 * rank;
            for (int k = 0; k < rank; k++) {
                // gh[k] = s * B[:,k] . g ;  dL/dB[:,k] = s * h[k] * g
                gh[k] = scale * Vectors.dot(weights[base + rank + k], 0, g, 0, dim);
                axpy(scale * h[k], g, grad[base + rank + k]);
            }
            for (int k = 0; k < rank; k++) {
                // dL/dA[k,:] = gh[k] * x
                axpy(gh[k], x, grad[base + k]);
            }
            if (l > 0) {
                // dL/dx_l = g + A^T gh: the identity path plus the low-rank path
                for (int k = 0; k < rank; k++) {
                    axpy(gh[k], weights[base + k], g);
                }
            }
        }
    }

    /** Runs the forward pass, keeping every layer's input and hidden activation in {@code ws}. */
    void forwardInto(float[] x, LoraWorkspace ws) {
        checkDim(x);
        System.arraycopy(x, 0, ws.activations[0], 0, dim);
        for (int l = 0; l < layers; l++) {
            float[] in = ws.activations[l];
            float[] out = ws.activations[l + 1];
            float[] h = ws.hidden[l];
            int base = l * 2 * rank;
            System.arraycopy(in, 0, out, 0, dim);
            for (int k = 0; k < rank; k++) {
                h[k] = Vectors.dot(weights[base + k], 0, in, 0, dim);
                axpy(scale * h[k], weights[base + rank + k], out);
            }
        }
    }

    /** {@code y += a * x} over whole rows (offset zero: vectorised). */
    private static void axpy(float a, float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            y[i] += a * x[i];
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
                && Arrays.deepEquals(weights, that.weights);
    }

    @Override
    public int hashCode() {
        return Objects.hash(dim, rank, layers, alpha) * 31 + Arrays.deepHashCode(weights);
    }

    @Override
    public String toString() {
        return "LoraAdapter{dim=" + dim + ", rank=" + rank + ", layers=" + layers + ", alpha=" + alpha + '}';
    }
}
