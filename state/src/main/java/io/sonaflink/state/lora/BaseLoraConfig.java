package io.sonaflink.state.lora;

import java.io.Serializable;

/**
 * Settings of the background loop's BaseLoRA (seed 004: rank 8, learning rate 0.001; two epochs per
 * cycle, chosen with EWC++'s defaults in {@code EwcDefaultsTest}: one epoch left the new task at 90 %
 * of what it learns without EWC on small windows).
 *
 * @param rank adapter rank
 * @param alpha LoRA alpha; scale is {@code alpha / rank}
 * @param layers stacked LoRA layers
 * @param learningRate Adam step size
 * @param epochs passes over the cycle's batch
 * @param batchSize mini-batch size
 * @param probeSamples examples per cycle (a random subset) that measure the loss and batch
 *     gradient before training and the loss after it; the full batch is only used for training
 */
public record BaseLoraConfig(
        int rank, float alpha, int layers, float learningRate, int epochs, int batchSize, int probeSamples) implements Serializable {

    public static final BaseLoraConfig DEFAULT = new BaseLoraConfig(8, 16f, 1, 0.001f, 2, 32, 512);

    public BaseLoraConfig {
        if (rank < 1 || layers < 1 || epochs < 1 || batchSize < 1 || probeSamples < 1) {
            throw new IllegalArgumentException("invalid BaseLoRA sizes");
        }
        if (!(learningRate > 0f) || !(alpha > 0f)) {
            throw new IllegalArgumentException("learning rate and alpha must be positive");
        }
    }
}
