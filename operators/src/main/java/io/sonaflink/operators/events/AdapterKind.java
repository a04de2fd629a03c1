package io.sonaflink.operators.events;

/** Which of a key's two adapters an {@link AdapterUpdate} carries. */
public enum AdapterKind {
    /** The instant loop's rank-1/2 MicroLoRA, updated on every corrective event. */
    MICRO,
    /** The background loop's rank-8 BaseLoRA, trained with EWC++ once per window. */
    BASE
}
