package io.sonaflink.state.lora;

import io.sonaflink.state.math.Blocks;

import java.util.Arrays;
import java.util.Objects;

/**
 * Adam (Kingma and Ba, 2015) over a flat parameter vector. The BaseLoRA uses it because plain SGD
 * at the configured rate depends on the embedding scale, while Adam's per-coordinate step is
 * scale-free; the first and second moments are part of the checkpointed state.
 */
public final class AdamOptimizer {

    static final float BETA1 = 0.9f;
    static final float BETA2 = 0.999f;
    static final float EPSILON = 1e-8f;

    private final float[][] firstMoment;
    private final float[][] secondMoment;
    private long steps;

    public AdamOptimizer(float[][] firstMoment, float[][] secondMoment, long steps) {
        if (!Blocks.sameShape(firstMoment, secondMoment)) {
            throw new IllegalArgumentException("moment vectors differ in size");
        }
        this.firstMoment = firstMoment;
        this.secondMoment = secondMoment;
        this.steps = steps;
    }

    /** A fresh optimiser for parameters shaped like {@code shape}. */
    public static AdamOptimizer create(float[][] shape) {
        return new AdamOptimizer(Blocks.zerosLike(shape), Blocks.zerosLike(shape), 0L);
    }

    /** One bias-corrected Adam step: {@code params -= lr * mHat / (sqrt(vHat) + eps)}. */
    public void step(float[][] params, float[][] gradient, float learningRate) {
        steps++;
        double c1 = 1.0 - Math.pow(BETA1, steps);
        double c2 = 1.0 - Math.pow(BETA2, steps);
        float stepSize = (float) (learningRate * Math.sqrt(c2) / c1);
        float eps = (float) (EPSILON * Math.sqrt(c2));
        for (int r = 0; r < params.length; r++) {
            float[] p = params[r];
            float[] grad = gradient[r];
            float[] m1 = firstMoment[r];
            float[] m2 = secondMoment[r];
            for (int i = 0; i < p.length; i++) {
                float g = grad[i];
                float m = BETA1 * m1[i] + (1f - BETA1) * g;
                float v = BETA2 * m2[i] + (1f - BETA2) * g * g;
                m1[i] = m;
                m2[i] = v;
                p[i] -= stepSize * m / ((float) Math.sqrt(v) + eps);
            }
        }
    }

    public float[][] firstMoment() {
        return firstMoment;
    }

    public float[][] secondMoment() {
        return secondMoment;
    }

    public long steps() {
        return steps;
    }

    public AdamOptimizer copy() {
        return new AdamOptimizer(Blocks.copy(firstMoment), Blocks.copy(secondMoment), steps);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof AdamOptimizer)) {
            return false;
        }
        AdamOptimizer that = (AdamOptimizer) o;
        return steps == that.steps
                && Arrays.deepEquals(firstMoment, that.firstMoment)
                && Arrays.deepEquals(secondMoment, that.secondMoment);
    }

    @Override
    public int hashCode() {
        return Objects.hash(steps, Arrays.deepHashCode(firstMoment), Arrays.deepHashCode(secondMoment));
    }
}
