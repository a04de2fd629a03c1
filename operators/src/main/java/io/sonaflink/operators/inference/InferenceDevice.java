package io.sonaflink.operators.inference;

/** Where the inference operator computes its batched adapter products. */
public enum InferenceDevice {
    /** A GPU when DJL finds one, else DJL on the CPU, else plain Java. */
    AUTO,
    /** DJL on the CPU. */
    CPU,
    /** DJL on a GPU; the operator fails to start without one. */
    GPU,
    /** Plain Java only (no DJL). */
    JAVA
}
