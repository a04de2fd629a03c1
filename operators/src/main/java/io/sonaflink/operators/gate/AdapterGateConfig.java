package io.sonaflink.operators.gate;

import java.io.Serial;
import java.io.Serializable;

/**
 * Settings of the adapter gate (seed 001's quality gate: "new adapter ≥ 95% of old adapter
 * quality", and its rollback on regression).
 *
 * @param heldOutSize recent trajectories with targets kept per key to validate candidates on
 * @param minHeldOut with fewer held-out trajectories, a candidate is accepted only if it does not
 *     make the held-out loss worse than the identity adapter (too little data to measure retention)
 * @param retention minimum {@code q(candidate) / q(champion)} for a promotion
 * @param autoRollbackQuality a promotion is rolled back when the mean quality of the
 *     {@code autoRollbackWindow} trajectories after it falls below this fraction of the mean
 *     quality of the {@code autoRollbackWindow} trajectories before it
 * @param autoRollbackWindow trajectories compared before and after a promotion
 * @param historySize published versions kept per key and kind for rollback
 */
public record AdapterGateConfig(
        int heldOutSize,
        int minHeldOut,
        double retention,
        double autoRollbackQuality,
        int autoRollbackWindow,
        int historySize) implements Serializable {

    @Serial
    private static final long serialVersionUID = 1L;

    public static final int DEFAULT_HELD_OUT_SIZE = 256;
    public static final int DEFAULT_MIN_HELD_OUT = 20;
    public static final double DEFAULT_RETENTION = 0.95;
    public static final double DEFAULT_AUTO_ROLLBACK_QUALITY = 0.9;
    public static final int DEFAULT_AUTO_ROLLBACK_WINDOW = 200;
    public static final int DEFAULT_HISTORY_SIZE = 10;

    public static final AdapterGateConfig DEFAULT = new AdapterGateConfig(DEFAULT_HELD_OUT_SIZE, DEFAULT_MIN_HELD_OUT,
            DEFAULT_RETENTION, DEFAULT_AUTO_ROLLBACK_QUALITY, DEFAULT_AUTO_ROLLBACK_WINDOW, DEFAULT_HISTORY_SIZE);

    public AdapterGateConfig {
        if (heldOutSize < 1) {
            throw new IllegalArgumentException("heldOutSize must be positive, got " + heldOutSize);
        }
        if (minHeldOut < 0 || minHeldOut > heldOutSize) {
            throw new IllegalArgumentException(
                    "minHeldOut must be in [0, heldOutSize=" + heldOutSize + "], got " + minHeldOut);
        }
        checkRetention(retention);
        checkAutoRollbackQuality(autoRollbackQuality);
        if (autoRollbackWindow < 1) {
            throw new IllegalArgumentException("autoRollbackWindow must be positive, got " + autoRollbackWindow);
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

    public AdapterGateConfig withHeldOut(int size, int min) {
        return new AdapterGateConfig(size, min, retention, autoRollbackQuality, autoRollbackWindow, historySize);
    }

    public AdapterGateConfig withAutoRollback(double quality, int window) {
        return new AdapterGateConfig(heldOutSize, minHeldOut, retention, quality, window, historySize);
    }

    public AdapterGateConfig withHistorySize(int size) {
        return new AdapterGateConfig(heldOutSize, minHeldOut, retention, autoRollbackQuality, autoRollbackWindow, size);
    }
}
