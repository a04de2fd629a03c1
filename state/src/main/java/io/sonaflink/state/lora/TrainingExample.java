package io.sonaflink.state.lora;

/** An input embedding, the output the adapter should produce for it, and the example's weight. */
public record TrainingExample(float[] input, float[] target, float weight) {

    public TrainingExample {
        if (input.length != target.length) {
            throw new IllegalArgumentException(
                    "input and target differ in dimension: " + input.length + " vs " + target.length);
        }
        if (!(weight >= 0f) || !Float.isFinite(weight)) {
            throw new IllegalArgumentException("weight must be finite and non-negative: " + weight);
        }
    }
}
