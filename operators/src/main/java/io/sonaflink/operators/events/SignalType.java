package io.sonaflink.operators.events;

/** Kinds of training signal (seed 001). */
public enum SignalType {
    /** The response was wrong; lowers the trajectory's quality. */
    MISTAKE,
    /** The response was wrong and here is what it should have been (a target embedding). */
    CORRECTION,
    /** The response was good; raises the trajectory's quality. */
    POSITIVE,
    /** An imported example with a target, not tied to a served trajectory. */
    IMPORT
}
