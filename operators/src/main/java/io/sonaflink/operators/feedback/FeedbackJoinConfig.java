package io.sonaflink.operators.feedback;

import java.io.Serializable;

/**
 * How long the feedback join waits.
 *
 * @param holdMs a trajectory waits this long (processing time) for its signals before it moves on
 * @param lateRetentionMs after that, its embedding is kept this long so that a late correction
 *     still becomes a corrective event; then all of its state is cleared
 */
public record FeedbackJoinConfig(long holdMs, long lateRetentionMs) implements Serializable {

    public static final FeedbackJoinConfig DEFAULT = new FeedbackJoinConfig(30_000L, 600_000L);

    public FeedbackJoinConfig {
        if (holdMs < 0 || lateRetentionMs < 0) {
            throw new IllegalArgumentException("hold and retention must be non-negative");
        }
    }
}
