package io.sonaflink.operators.feedback;

import java.io.Serializable;

/**
 * How long, and how much, the feedback join keeps.
 *
 * @param holdMs a trajectory waits this long (processing time) for signals that change its quality
 *     before the background loop and the gate's quality watch see it; corrections do not wait
 * @param lateRetentionMs after that, it is kept this long so that a late correction still becomes
 *     a corrective event; an early signal waits for its trajectory the hold plus this long
 * @param maxKeptPerKey trajectories kept per adapter key at most, and early signals waiting per
 *     key at most: the oldest beyond it moves on at once (a trajectory) or is dead-lettered (a
 *     signal), so the join's state is bounded per key whatever the throughput
 * @param cachedArrivals latest arrivals per parallel task also held on the heap ({@link
 *     RecentArrivals}): a trajectory while it waits out its hold, then its id and arrival time; 0
 *     reads everything from the state backend
 */
public record FeedbackJoinConfig(long holdMs, long lateRetentionMs, int maxKeptPerKey, int cachedArrivals)
        implements Serializable {

    public static final int DEFAULT_MAX_KEPT_PER_KEY = 20_000;
    public static final int DEFAULT_CACHED_ARRIVALS = 32_768;

    public static final FeedbackJoinConfig DEFAULT =
            new FeedbackJoinConfig(30_000L, 600_000L, DEFAULT_MAX_KEPT_PER_KEY, DEFAULT_CACHED_ARRIVALS);

    public FeedbackJoinConfig(long holdMs, long lateRetentionMs, int maxKeptPerKey) {
        this(holdMs, lateRetentionMs, maxKeptPerKey, DEFAULT_CACHED_ARRIVALS);
    }

    public FeedbackJoinConfig {
        if (holdMs < 0 || lateRetentionMs < 0) {
            throw new IllegalArgumentException("hold and retention must be non-negative");
        }
        if (maxKeptPerKey < 1) {
            throw new IllegalArgumentException("maxKeptPerKey must be positive, got " + maxKeptPerKey);
        }
        if (cachedArrivals < 0) {
            throw new IllegalArgumentException("cachedArrivals must not be negative, got " + cachedArrivals);
        }
    }

    /** How long a trajectory is kept after it arrived. */
    long keepMs() {
        return holdMs + lateRetentionMs;
    }
}
