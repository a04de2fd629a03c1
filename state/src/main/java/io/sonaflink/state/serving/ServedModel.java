package io.sonaflink.state.serving;

import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.LoraWorkspace;
import io.sonaflink.state.math.Vectors;

/**
 * What is served for an adapter key, defined once for everything that trains, judges or serves:
 * {@code F(x) = x + Δbase(x) + Δmicro(x)}, where {@code Δ(x) = f(x) - x} is an adapter's change of
 * its input. The two adapters are one stack, not two answers to the same question: MicroLoRA
 * learns the residual {@code y - Δbase(x)} that the champion BaseLoRA leaves ({@link
 * #microTarget}), so the sum is fitted once, not twice.
 *
 * <p>A missing adapter is the identity ({@code Δ = 0}), and so is one of another dimension than the
 * request (a changed embedding dimension must not fail a request). Immutable; the adapters are
 * shared, not copied, and must not be changed while a model holds them.
 */
public final class ServedModel {

    /** No adapter at all: {@code F(x) = x}. */
    public static final ServedModel IDENTITY = new ServedModel(null, null);

    private final LoraAdapter base;
    private final LoraAdapter micro;

    /** {@code base} and {@code micro} may each be null (the identity). */
    public ServedModel(LoraAdapter base, LoraAdapter micro) {
        if (base != null && micro != null && base.dim() != micro.dim()) {
            throw new IllegalArgumentException(
                    "base of dimension " + base.dim() + " with a micro adapter of dimension " + micro.dim());
        }
        this.base = base;
        this.micro = micro;
    }

    /** The BaseLoRA, or null. */
    public LoraAdapter base() {
        return base;
    }

    /** The MicroLoRA, or null. */
    public LoraAdapter micro() {
        return micro;
    }

    public ServedModel withBase(LoraAdapter newBase) {
        return new ServedModel(newBase, micro);
    }

    public ServedModel withMicro(LoraAdapter newMicro) {
        return new ServedModel(base, newMicro);
    }

    /** Whether {@code adapter} changes requests of dimension {@code dim}. */
    public static boolean applies(LoraAdapter adapter, int dim) {
        return adapter != null && adapter.dim() == dim;
    }

    /** Scratch buffers shaped for this model's adapters. */
    public Workspace newWorkspace() {
        return new Workspace(base == null ? null : base.newWorkspace(), micro == null ? null : micro.newWorkspace());
    }

    /** {@code out = F(x)}; {@code out} may not alias {@code x}. Allocation-free. */
    public void forward(float[] x, float[] out, Workspace ws) {
        System.arraycopy(x, 0, out, 0, x.length);
        if (applies(base, x.length)) {
            base.addDelta(x, out, ws.base);
        }
        if (applies(micro, x.length)) {
            micro.addDelta(x, out, ws.micro);
        }
    }

    /** Convenience forward that allocates its result and workspace. */
    public float[] apply(float[] x) {
        float[] out = new float[x.length];
        forward(x, out, newWorkspace());
        return out;
    }

    /** The served loss of one example, {@code w * 1/2 * ||F(x) - y||^2}. */
    public float loss(float[] x, float[] y, float w, Workspace ws) {
        float[] out = ws.output(x.length);
        forward(x, out, ws);
        return 0.5f * w * Vectors.squaredDistance(out, y);
    }

    /**
     * {@code out = y - Δbase(x)}: the output MicroLoRA must produce for {@code x} so that the
     * stack produces {@code y}. Training MicroLoRA on {@code (x, out)} with its own loss {@code
     * 1/2 ||f_micro(x) - out||^2} is exactly training the stack {@code F} on {@code (x, y)} with
     * the base held fixed, since {@code F(x) - y = f_micro(x) - (y - Δbase(x))}.
     */
    public void microTarget(float[] x, float[] y, float[] out, Workspace ws) {
        System.arraycopy(y, 0, out, 0, y.length);
        if (applies(base, x.length)) {
            float[] delta = ws.output(x.length);
            java.util.Arrays.fill(delta, 0f);
            base.addDelta(x, delta, ws.base);
            for (int i = 0; i < out.length; i++) {
                out[i] -= delta[i];
            }
        }
    }

    /** Reusable buffers of one {@link ServedModel}'s shape. Not thread-safe. */
    public static final class Workspace {
        private final LoraWorkspace base;
        private final LoraWorkspace micro;
        private float[] output = new float[0];

        private Workspace(LoraWorkspace base, LoraWorkspace micro) {
            this.base = base;
            this.micro = micro;
        }

        private float[] output(int dim) {
            if (output.length != dim) {
                output = new float[dim];
            }
            return output;
        }
    }
}
