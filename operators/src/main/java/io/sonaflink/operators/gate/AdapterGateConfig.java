package io.sonaflink.operators.gate;

import io.sonaflink.state.serving.HeldOutSplit;

import java.io.Serial;
import java.io.Serializable;
import java.util.Objects;

/**
 * Settings of the adapter gate (seed 001's quality gate: "new adapter ≥ 95% of old adapter
 * quality", and its rollback on regression).
 *
 * @param split which trajectories are held out: no learner trains on them, the gate validates on them
 * @param heldOutSize recent held-out trajectories with targets kept per key (the current task's set)
 * @param minHeldOut with fewer held-out trajectories, a candidate is accepted only if it does not
 *     make the held-out loss worse than the identity adapter (too little data to measure retention)
 * @param retention minimum {@code q(candidate) / q(served)} on every held-out set for a promotion
 * @param taskHeldOutSize held-out trajectories kept from each earlier task
 * @param rememberedTasks earlier tasks whose held-out sets are kept (the oldest is dropped beyond)
 * @param autoRollbackQuality a promotion is rolled back when what is served after it keeps less
 *     than this fraction of what the version before it would give: the mean comparable quality of
 *     the {@code autoRollbackWindow} trajectories after it against those before it, or the served
 *     quality on the {@code autoRollbackHeldOut} held-out examples after it against a rollback's
 *     on the same examples; 0 turns automatic rollback off
 * @param autoRollbackWindow trajectories compared before and after a promotion
 * @param autoRollbackHeldOut held-out examples after a promotion that decide its held-out watch
 * @param historySize published versions kept per key and kind for rollback
 */
public record AdapterGateConfig(
        HeldOutSplit split,
        int heldOutSize,
        int minHeldOut,
        double retention,
        int taskHeldOutSize,
        int rememberedTasks,
        double autoRollbackQuality,
        int autoRollbackWindow,
        int autoRollbackHeldOut,
        int historySize) implements Serializable {

    @Serial
    private static final long serialVersionUID = 2L;

    public static final int DEFAULT_HELD_OUT_SIZE = 256;
    public static final int DEFAULT_MIN_HELD_OUT = 20;
    public static final double DEFAULT_RETENTION = 0.95;
    public static final int DEFAULT_TASK_HELD_OUT_SIZE = 64;
    public static final int DEFAULT_REMEMBERED_TASKS = 10;
    public static final double DEFAULT_AUTO_ROLLBACK_QUALITY = 0.9;
    public static final int DEFAULT_AUTO_ROLLBACK_WINDOW = 200;
    public static final int DEFAULT_AUTO_ROLLBACK_HELD_OUT = 32;
    public static final int DEFAULT_HISTORY_SIZE = 10;

    public static final AdapterGateConfig DEFAULT = new AdapterGateConfig(HeldOutSplit.DEFAULT, DEFAULT_HELD_OUT_SIZE,
            DEFAULT_MIN_HELD_OUT, DEFAULT_RETENTION, DEFAULT_TASK_HELD_OUT_SIZE, DEFAULT_REMEMBERED_TASKS,
            DEFAULT_AUTO_ROLLBACK_QUALITY, DEFAULT_AUTO_ROLLBACK_WINDOW, DEFAULT_AUTO_ROLLBACK_HELD_OUT,
            DEFAULT_HISTORY_SIZE);

    public AdapterGateConfig {
        Objects.requireNonNull(split, "split");
        if (heldOutSize < 1) {
            throw new IllegalArgumentException("heldOutSize must be positive, got " + heldOutSize);
        }
        if (minHeldOut < 0 || minHeldOut > heldOutSize) {
            throw new IllegalArgumentException(
                    "minHeldOut must be in [0, heldOutSize=" + heldOutSize + "], got " + minHeldOut);
        }
        checkRetention(retention);
        if (taskHeldOutSize < 1 || rememberedTasks < 0) {
            throw new IllegalArgumentException("taskHeldOutSize must be positive and rememberedTasks not negative, got "
                    + taskHeldOutSize + ", " + rememberedTasks);
        }
        checkAutoRollbackQuality(autoRollbackQuality);
        if (autoRollbackWindow < 1 || autoRollbackHeldOut < 1) {
            throw new IllegalArgumentException("autoRollbackWindow and autoRollbackHeldOut must be positive, got "
                    + autoRollbackWindow + ", " + autoRollbackHeldOut);
        }
        if (historySize < 1) {
            throw new IllegalArgumentException("historySize must be positive, got " + historySize);
        }
    }

    /** Fails unless {@code value} is a usable retention threshold: finite and positive. */
    static void checkRetention(double value) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException("retention must be positive and finite, got " + value);
        }
    }

    /** Fails unless {@code value} is in [0, 1] (0 turns automatic rollback off). */
    static void checkAutoRollbackQuality(double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException("autoRollbackQuality must be in [0, 1], got " + value);
        }
    }

    public AdapterGateConfig withSplit(HeldOutSplit s) {
        return new AdapterGateConfig(s, heldOutSize, minHeldOut, retention, taskHeldOutSize, rememberedTasks,
                autoRollbackQuality, autoRollbackWindow, autoRollbackHeldOut, historySize);
    }

    public AdapterGateConfig withHeldOut(int size, int min) {
        return new AdapterGateConfig(split, size, min, retention, taskHeldOutSize, rememberedTasks,
                autoRollbackQuality, autoRollbackWindow, autoRollbackHeldOut, historySize);
    }

    public AdapterGateConfig withAutoRollback(double quality, int window, int heldOut) {
        return new AdapterGateConfig(split, heldOutSize, minHeldOut, retention, taskHeldOutSize, rememberedTasks,
                quality, window, heldOut, historySize);
    }

    public AdapterGateConfig withHistorySize(int size) {
        return new AdapterGateConfig(split, heldOutSize, minHeldOut, retention, taskHeldOutSize, rememberedTasks,
                autoRollbackQuality, autoRollbackWindow, autoRollbackHeldOut, size);
    }
}
