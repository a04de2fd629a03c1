package io.sonaflink.operators.instant;

import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.LoraWorkspace;
import io.sonaflink.state.lora.MicroLora;
import io.sonaflink.state.lora.MicroLoraConfig;
import io.sonaflink.state.serving.ServedModel;

/**
 * The instant loop's step (seed 004), as one part of the served stack {@link ServedModel}: one
 * MicroLoRA update per corrective event, toward the residual {@code y - Δbase(x)} that the
 * champion BaseLoRA it is served with leaves, so that {@code x + Δbase(x) + Δmicro(x)} learns
 * {@code y} once, not twice. Plain Java over reusable buffers (allocation-free per event); the
 * gate operator owns the state and calls it, because only it knows the champion.
 */
public final class InstantLoop {

    private final MicroLoraConfig config;
    private final LoraWorkspace microWorkspace;
    private final float[] residualTarget;
    private final float[] baseDelta;
    private LoraAdapter workspaceBase;
    private LoraWorkspace baseWorkspace;

    public InstantLoop(InstantLoopConfig loopConfig) {
        this.config = loopConfig.micro();
        // Scratch buffers of the MicroLoRA's shape; the adapter built here only supplies them.
        this.microWorkspace = LoraAdapter.initialize(loopConfig.dim(), config.rank(), 1, config.alpha(), 0L)
                .newWorkspace();
        this.residualTarget = new float[loopConfig.dim()];
        this.baseDelta = new float[loopConfig.dim()];
    }

    /**
     * Learns from one correction {@code (x, y, w)} served on top of {@code base} (null: no base).
     *
     * @return the served loss {@code w * 1/2 ||x + Δbase(x) + Δmicro(x) - y||^2} before the update
     */
    public float learn(MicroLora micro, LoraAdapter base, float[] x, float[] y, float w) {
        System.arraycopy(y, 0, residualTarget, 0, y.length);
        if (ServedModel.applies(base, x.length)) {
            java.util.Arrays.fill(baseDelta, 0f);
            base.addDelta(x, baseDelta, baseWorkspace(base));
            for (int i = 0; i < residualTarget.length; i++) {
                residualTarget[i] -= baseDelta[i];
            }
        }
        return micro.observe(x, residualTarget, w, config, microWorkspace);
    }

    /**
     * Rebases {@code micro} onto a newly served BaseLoRA: its {@code B} is cleared and pending
     * gradients are dropped, so it restarts from the identity on top of the new base. A new base has
     * been trained on the same corrections MicroLoRA learned since the previous base (its window
     * holds them all), so it already contains what MicroLoRA knew; the gate promotes a base only
     * when the served model after this reset keeps its held-out quality, so the switch is measured,
     * not assumed, not to jump.
     */
    public static void rebase(MicroLora micro) {
        micro.resetToIdentity();
    }

    private LoraWorkspace baseWorkspace(LoraAdapter base) {
        if (workspaceBase == null || workspaceBase.rank() != base.rank() || workspaceBase.layers() != base.layers()
                || workspaceBase.dim() != base.dim()) {
            workspaceBase = base;
            baseWorkspace = base.newWorkspace();
        }
        return baseWorkspace;
    }
}
