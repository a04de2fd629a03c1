package io.sonaflink.operators.instant;

import io.sonaflink.operators.events.AdapterKey;

import java.util.Objects;

/**
 * Per-key bookkeeping of the instant loop, kept in keyed state next to the MicroLoRA and the
 * bandit. Mutable: each event reads it, changes it in place and writes it back.
 */
final class InstantCounters {

    /** {@link #pendingTimer} when no publish timer is registered. */
    static final long NO_TIMER = Long.MIN_VALUE;

    AdapterKey key;
    /** Trajectories seen. */
    long trajectories;
    /** Sum of their qualities, for the mean. */
    double qualitySum;
    /** MicroLoRA version (flush count) last published; 0 before the first publish. */
    long lastPublishedVersion;
    /** Corrections learned since the last publish. */
    long correctionsSincePublish;
    /** Sum of their losses before each update. */
    double lossSincePublish;
    /** Event timestamp of the correction whose flush last changed the weights. */
    long lastChangeTimestamp;
    /** Processing time of the registered publish timer, or {@link #NO_TIMER}. */
    long pendingTimer;

    InstantCounters(
            AdapterKey key,
            long trajectories,
            double qualitySum,
            long lastPublishedVersion,
            long correctionsSincePublish,
            double lossSincePublish,
            long lastChangeTimestamp,
            long pendingTimer) {
        this.key = Objects.requireNonNull(key, "key");
        this.trajectories = trajectories;
        this.qualitySum = qualitySum;
        this.lastPublishedVersion = lastPublishedVersion;
        this.correctionsSincePublish = correctionsSincePublish;
        this.lossSincePublish = lossSincePublish;
        this.lastChangeTimestamp = lastChangeTimestamp;
        this.pendingTimer = pendingTimer;
    }

    static InstantCounters empty(AdapterKey key) {
        return new InstantCounters(key, 0L, 0.0, 0L, 0L, 0.0, 0L, NO_TIMER);
    }

    boolean hasPendingTimer() {
        return pendingTimer != NO_TIMER;
    }

    double meanQuality() {
        return trajectories == 0 ? 0.0 : qualitySum / trajectories;
    }

    double meanLossSincePublish() {
        return correctionsSincePublish == 0 ? 0.0 : lossSincePublish / correctionsSincePublish;
    }

    /** Starts a new publish period after {@code version} went out. */
    void markPublished(long version) {
        lastPublishedVersion = version;
        correctionsSincePublish = 0L;
        lossSincePublish = 0.0;
    }

    InstantCounters copy() {
        return new InstantCounters(key, trajectories, qualitySum, lastPublishedVersion, correctionsSincePublish,
                lossSincePublish, lastChangeTimestamp, pendingTimer);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof InstantCounters)) {
            return false;
        }
        InstantCounters that = (InstantCounters) o;
        return trajectories == that.trajectories
                && Double.compare(qualitySum, that.qualitySum) == 0
                && lastPublishedVersion == that.lastPublishedVersion
                && correctionsSincePublish == that.correctionsSincePublish
                && Double.compare(lossSincePublish, that.lossSincePublish) == 0
                && lastChangeTimestamp == that.lastChangeTimestamp
                && pendingTimer == that.pendingTimer
                && key.equals(that.key);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, trajectories, lastPublishedVersion, correctionsSincePublish, lastChangeTimestamp);
    }

    @Override
    public String toString() {
        return "InstantCounters{key=" + key + ", trajectories=" + trajectories + ", lastPublishedVersion="
                + lastPublishedVersion + ", correctionsSincePublish=" + correctionsSincePublish + ", pendingTimer="
                + (hasPendingTimer() ? pendingTimer : "none") + '}';
    }
}
