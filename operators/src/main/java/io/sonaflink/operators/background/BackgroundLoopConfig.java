package io.sonaflink.operators.background;

import io.sonaflink.state.cycle.BackgroundConfig;
import io.sonaflink.state.serving.HeldOutSplit;

import java.io.Serializable;
import java.util.Objects;

/**
 * Settings of the background loop operator.
 *
 * @param dimension embedding dimension
 * @param intervalMs processing-time window length (seed 004: one hour)
 * @param learning the learning cycle's settings
 * @param seed base seed; each key and cycle derives its own from it
 * @param split the held-out split: a held-out trajectory reaches the cycle without its target, so
 *     it shapes the patterns but trains nothing
 */
public record BackgroundLoopConfig(int dimension, long intervalMs, BackgroundConfig learning, long seed,
        HeldOutSplit split) implements Serializable {

    public BackgroundLoopConfig {
        if (dimension < 1 || intervalMs < 1) {
            throw new IllegalArgumentException("dimension and interval must be positive");
        }
        Objects.requireNonNull(split, "split");
    }

    /** With the default held-out split. */
    public BackgroundLoopConfig(int dimension, long intervalMs, BackgroundConfig learning, long seed) {
        this(dimension, intervalMs, learning, seed, HeldOutSplit.DEFAULT);
    }
}
