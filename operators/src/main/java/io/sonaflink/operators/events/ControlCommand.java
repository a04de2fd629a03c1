package io.sonaflink.operators.events;

/** What a {@link Control} asks the adapter gate to do. */
public enum ControlCommand {
    /** Publish the held challenger (seed 003's "promote challenger to champion"), even while pinned. */
    PROMOTE,
    /** Publish an older version's weights again, under a new version. */
    ROLLBACK,
    /** Freeze the champion: candidates that pass validation are held as challenger, not published. */
    PIN,
    /** Lift a pin; a held challenger stays held until promoted or replaced. */
    UNPIN,
    /** Ignore candidates (the gate keeps collecting held-out data and watching quality). */
    PAUSE_LEARNING,
    /** Validate and publish candidates again. */
    RESUME_LEARNING,
    /** Set cost/quality governor toggles (seed 003), stored and echoed in the decision stream. */
    SET_GOVERNOR,
    /**
     * Change the gate's thresholds ({@link Control#THRESHOLD_RETENTION}, {@link
     * Control#THRESHOLD_AUTO_ROLLBACK_QUALITY}).
     */
    SET_THRESHOLDS
}
