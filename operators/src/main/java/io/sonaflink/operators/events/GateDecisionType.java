package io.sonaflink.operators.events;

/** What the adapter gate did with a candidate or a control command. */
public enum GateDecisionType {
    /** A candidate (or a forced challenger) was published as the new champion. */
    PROMOTED,
    /** A candidate failed validation against the champion. */
    REJECTED,
    /** A candidate passed validation while its key was pinned, and waits for a promote command. */
    HELD_AS_CHALLENGER,
    /** An older version's weights were published again under a new version. */
    ROLLED_BACK,
    /**
     * The served BaseLoRA changed, so the MicroLoRA (the residual on top of it) restarted from the
     * identity and the reset was published as its next version.
     */
    REBASED,
    /** A key (or every key) was pinned. */
    PINNED,
    /** Nothing changed: learning paused, an invalid or inapplicable command, a suppressed rollback. */
    IGNORED,
    /** A command changed flags, thresholds or governor toggles; no adapter changed. */
    CONFIGURED
}
