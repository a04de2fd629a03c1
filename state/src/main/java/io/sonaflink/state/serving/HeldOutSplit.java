package io.sonaflink.state.serving;

import io.sonaflink.state.math.DeterministicRandom;

import java.io.Serial;
import java.io.Serializable;

/**
 * The deterministic held-out split: a trajectory is held out when a hash of its id falls in the
 * configured share. No learner trains on a held-out trajectory and the gate validates only on
 * them, so every quality the gate measures is on data nobody trained on. The hash depends on the
 * id alone (64-bit FNV-1a of its characters, then mixed), so every task, every replay and every
 * restart agrees on the split, and a correction follows its trajectory to the same side.
 *
 * @param share fraction of trajectories held out, in {@code [0, 1]}; 0 holds out nothing (the gate
 *     then judges on nothing and accepts what is not worse than the identity on it), 1 everything
 *     (the gate judges, nothing learns)
 */
public record HeldOutSplit(double share) implements Serializable {

    @Serial
    private static final long serialVersionUID = 1L;

    public static final double DEFAULT_SHARE = 0.1;
    public static final HeldOutSplit DEFAULT = new HeldOutSplit(DEFAULT_SHARE);

    public HeldOutSplit {
        if (!(share >= 0 && share <= 1)) {
            throw new IllegalArgumentException("held-out share must be in [0, 1], got " + share);
        }
    }

    /** Whether the trajectory with {@code id} is held out. */
    public boolean isHeldOut(String id) {
        return share >= 1 || (share > 0 && unitHash(id) < share);
    }

    /** A uniform value in {@code [0, 1)} determined by {@code id}. */
    static double unitHash(String id) {
        return (DeterministicRandom.mix(DeterministicRandom.hash(id)) >>> 11) * 0x1.0p-53;
    }
}
