package io.sonaflink.operators.instant;

import io.sonaflink.state.lora.MicroLoraConfig;

import java.io.Serializable;
import java.util.Objects;

/**
 * Settings of the instant loop, which runs inside the adapter gate (seed 004's defaults: hidden
 * dimension 256, MicroLoRA rank 2, learning rate 0.002).
 *
 * @param dim embedding dimension
 * @param micro MicroLoRA settings
 * @param publishEveryUpdates the MicroLoRA becomes a candidate every this many flushes
 * @param publishIntervalMs it also becomes one when flushes are unjudged and this much processing
 *     time passed since the first of them; 0 disables the interval
 * @param seed seed of every key's initial adapter (a key's seed is derived from it and the key)
 */
public record InstantLoopConfig(
        int dim, MicroLoraConfig micro, int publishEveryUpdates, long publishIntervalMs, long seed)
        implements Serializable {

    public static final int DEFAULT_DIM = 256;
    public static final int DEFAULT_PUBLISH_EVERY_UPDATES = 100;
    public static final long DEFAULT_PUBLISH_INTERVAL_MS = 10_000L;
    public static final long DEFAULT_SEED = 42L;

    public static final InstantLoopConfig DEFAULT = defaults(DEFAULT_DIM, DEFAULT_SEED);

    public InstantLoopConfig {
        Objects.requireNonNull(micro, "micro");
        if (dim < 1) {
            throw new IllegalArgumentException("dim must be positive, got " + dim);
        }
        if (micro.rank() > dim) {
            throw new IllegalArgumentException("MicroLoRA rank " + micro.rank() + " exceeds dim " + dim);
        }
        if (publishEveryUpdates < 1) {
            throw new IllegalArgumentException("publishEveryUpdates must be positive, got " + publishEveryUpdates);
        }
        if (publishIntervalMs < 0) {
            throw new IllegalArgumentException("publishIntervalMs must not be negative, got " + publishIntervalMs);
        }
    }

    /** The defaults for embeddings of dimension {@code dim}. */
    public static InstantLoopConfig defaults(int dim, long seed) {
        return new InstantLoopConfig(dim, MicroLoraConfig.DEFAULT, DEFAULT_PUBLISH_EVERY_UPDATES,
                DEFAULT_PUBLISH_INTERVAL_MS, seed);
    }

    public boolean publishesOnInterval() {
        return publishIntervalMs > 0;
    }
}
