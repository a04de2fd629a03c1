package io.sonaflink.state.lora;

import java.io.Serializable;

/**
 * Settings of the instant loop's MicroLoRA (seed 004: rank 2, learning rate 0.002).
 *
 * @param rank adapter rank, 1 or 2
 * @param alpha LoRA alpha; the adapter's scale is {@code alpha / rank}
 * @param learningRate SGD step size per corrective event
 * @param flushEvery accumulated gradients are applied every this many events
 */
public record MicroLoraConfig(int rank, float alpha, float learningRate, int flushEvery) implements Serializable {

    public static final MicroLoraConfig DEFAULT = new MicroLoraConfig(2, 2f, 0.002f, 1);

    public MicroLoraConfig {
        if (rank < 1 || rank > 2) {
            throw new IllegalArgumentException("MicroLoRA rank must be 1 or 2, got " + rank);
        }
        if (!(learningRate > 0f) || !(alpha > 0f)) {
            throw new IllegalArgumentException("learning rate and alpha must be positive");
        }
        if (flushEvery < 1) {
            throw new IllegalArgumentException("flushEvery must be at least 1, got " + flushEvery);
        }
    }
}
