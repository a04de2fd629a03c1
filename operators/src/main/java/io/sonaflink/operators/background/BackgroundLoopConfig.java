package io.sonaflink.operators.background;

import io.sonaflink.state.cycle.BackgroundConfig;

import java.io.Serializable;

/**
 * Settings of the background loop operator.
 *
 * @param dimension embedding dimension
 * @param intervalMs processing-time window length (seed 004: one hour)
 * @param learning the learning cycle's settings
 * @param seed base seed; each key and cycle derives its own from it
 */
public record BackgroundLoopConfig(int dimension, long intervalMs, BackgroundConfig learning, long seed)
        implements Serializable {

    public BackgroundLoopConfig {
        if (dimension < 1 || intervalMs < 1) {
            throw new IllegalArgumentException("dimension and interval must be positive");
        }
    }
}
