package io.sonaflink.state.lora;

/**
 * Reusable scratch buffers for one {@link LoraAdapter} shape, so that per-event forward and
 * gradient passes allocate nothing. Not thread-safe and never part of checkpointed state.
 */
public final class LoraWorkspace {

    /** Layer inputs and the final output: {@code layers + 1} vectors. */
    final float[][] activations;
    /** Hidden activations {@code A_l x_l}: {@code layers x rank}. */
    final float[][] hidden;
    /** dL/dx of the layer being backpropagated. */
    final float[] outputGradient;
    /** dL/dh of the layer being backpropagated. */
    final float[] hiddenGradient;

    LoraWorkspace(int dim, int rank, int layers) {
        this.activations = new float[layers + 1][dim];
        this.hidden = new float[layers][rank];
        this.outputGradient = new float[dim];
        this.hiddenGradient = new float[rank];
    }
}
