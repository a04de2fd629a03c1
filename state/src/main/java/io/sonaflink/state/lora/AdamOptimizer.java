package io.sonaflink.state.lora;

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

    private final float[] firstMoment;
    private final float[] secondMoment;
    private long steps;

    public AdamOptimizer(float[] firstMoment, float[] secondMoment, long steps) {
        if (firstMoment.length != secondMoment.length) {
            throw new IllegalArgumentException("moment vectors differ in size");
        }
        this.firstMoment = firstMoment;
        this.secondMoment = secondMoment;
        this.steps = steps;
    }

    public static AdamOptimizer create(int parameterCount) {
        return new AdamOptimizer(new float[parameterCount], new float[parameterCount], 0L);
    }

    /** One bias-corrected Adam step: {@code params -= lr * mHat / (sqrt(vHat) + eps)}. */
    public void step(float[] params, float[] gradient, float learningRate) {
        steps++;
        double c1 = 1.0 - Math.pow(BETA1, steps);
        double c2 = 1.0 - Math.pow(BETA2, steps);
        float stepSize = (float) (learningRate * Math.sqrt(c2) / c1);
        float eps = (float) (EPSILON * Math.sqrt(c2));
        for (int i = 0; i < params.length; i++) {
            float g = gradient[i];
            float m = BETA1 * firstMoment[i] + (1f - BETA1) * g;
            float v = BETA2 * secondMoment[i] + (1f - BETA2) * g * g;
            firstMoment[i] = m;
            secondMoment[i] = v;
            params[i] -= stepSize * m / ((float) Math.sqrt(v) + eps);
        }
    }

    public float[] firstMoment() {
        return firstMoment;
    }

    public float[] secondMoment() {
        return secondMoment;
    }

    public long steps() {
        return steps;
    }

    public AdamOptimizer copy() {
        return new AdamOptimizer(firstMoment.clone(), secondMoment.clone(), steps);
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
                && Arrays.equals(firstMoment, that.firstMoment)
                && Arrays.equals(secondMoment, that.secondMoment);
    }

    @Override
    public int hashCode() {
        return Objects.hash(steps, Arrays.hashCode(firstMoment), Arrays.hashCode(secondMoment));
    }
}
