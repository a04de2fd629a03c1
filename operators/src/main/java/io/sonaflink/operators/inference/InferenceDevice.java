package io.sonaflink.operators.inference;

/** Where the inference operator computes its batched adapter products. */
public enum InferenceDevice {
    /** DJL on a GPU when DJL finds one, else plain Java (faster than DJL on a CPU for low-rank adapters). */
    AUTO,
    /** DJL on the CPU (where a many-core CPU makes it pay off; not on 2 cores, measured). */
    CPU,
    /** DJL on a GPU; the operator fails to start without one. */
    GPU,
    /** Plain Java only (no DJL). */
    JAVA
}
