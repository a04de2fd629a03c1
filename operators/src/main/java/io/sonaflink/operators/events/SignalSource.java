package io.sonaflink.operators.events;

/** Who produced a training signal, with the default weight of its opinion (seed 001: gold and silver). */
public enum SignalSource {
    HUMAN(1.0f),
    AI(0.5f),
    AUTOMATED(0.25f);

    private final float defaultWeight;

    SignalSource(float defaultWeight) {
        this.defaultWeight = defaultWeight;
    }

    public float defaultWeight() {
        return defaultWeight;
    }
}
