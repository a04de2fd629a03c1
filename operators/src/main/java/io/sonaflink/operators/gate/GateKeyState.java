package io.sonaflink.operators.gate;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;

import java.util.Arrays;
import java.util.Objects;

/**
 * The adapter gate's small per-key record: ring positions, the instant loop's publication
 * bookkeeping, and per adapter kind the published lineage and the watches over its latest
 * promotion. Read and written once per event; the rings, the remembered tasks' held-out sets, the
 * MicroLoRA and the version history live in their own states.
 */
public final class GateKeyState {

    static final long NO_TIMER = Long.MIN_VALUE;

    /** The key this state belongs to (null until its first event). */
    AdapterKey key;
    /** Held-out trajectories written to the recent held-out ring so far. */
    long heldOutWritten;
    /** Capacity the held-out ring was last written with (0: never). */
    int heldOutCapacity;
    /** Comparable qualities written to the recent-quality ring so far. */
    long qualitiesWritten;
    /** Capacity the recent-quality ring was last written with (0: never). */
    int qualityCapacity;
    /** Earlier tasks whose held-out sets were kept so far (the next task's number). */
    long tasksRemembered;

    /** Trajectories the key has seen. */
    long trajectories;
    /** Sum of their finite qualities. */
    double qualitySum;
    /** MicroLoRA flushes when its last candidate was judged. */
    long microCandidateFlushes;
    /** Corrections learned since the last MicroLoRA candidate. */
    long correctionsSinceCandidate;
    /** Sum of their losses, before each update. */
    double lossSinceCandidate;
    /** The pending interval timer of the next MicroLoRA candidate, or {@link #NO_TIMER}. */
    long pendingTimer = NO_TIMER;
    /** Event time of the correction that last changed the MicroLoRA's weights. */
    long lastChangeTimestamp;
    /** Pinned by a command for this key (pins of every key, and ahead of a first event, are broadcast flags). */
    boolean pinned;

    /** Per {@link AdapterKind}, by ordinal. */
    final Lineage[] lineages;

    GateKeyState() {
        lineages = new Lineage[AdapterKind.values().length];
        for (int i = 0; i < lineages.length; i++) {
            lineages[i] = new Lineage();
        }
    }

    Lineage lineage(AdapterKind kind) {
        return lineages[kind.ordinal()];
    }

    boolean hasPendingTimer() {
        return pendingTimer != NO_TIMER;
    }

    /** Mean loss of the corrections learned since the last MicroLoRA candidate, NaN when none. */
    double meanLossSinceCandidate() {
        return correctionsSinceCandidate == 0 ? Double.NaN : lossSinceCandidate / correctionsSinceCandidate;
    }

    /** Mean quality of the trajectories the key has seen, NaN before any. */
    public double meanQuality() {
        return trajectories == 0 ? Double.NaN : qualitySum / trajectories;
    }

    // Read-only views for tools that read a savepoint.

    /** The key this record belongs to, null before its first event. */
    public AdapterKey key() {
        return key;
    }

    public long trajectories() {
        return trajectories;
    }

    public boolean pinned() {
        return pinned;
    }

    /** Held-out trajectories the gate has kept so far, and earlier tasks whose held-out sets it remembers. */
    public long heldOutWritten() {
        return heldOutWritten;
    }

    public long tasksRemembered() {
        return tasksRemembered;
    }

    /** The highest version of {@code kind} published (0: none). */
    public long published(AdapterKind kind) {
        return lineage(kind).published;
    }

    /** The promotion of {@code kind} whose served quality is being watched (0: none). */
    public long watched(AdapterKind kind) {
        return lineage(kind).watchedVersion;
    }

    void markMicroCandidate(long flushes) {
        microCandidateFlushes = flushes;
        correctionsSinceCandidate = 0;
        lossSinceCandidate = 0;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof GateKeyState)) {
            return false;
        }
        GateKeyState that = (GateKeyState) o;
        return Objects.equals(key, that.key)
                && heldOutWritten == that.heldOutWritten
                && heldOutCapacity == that.heldOutCapacity
                && qualitiesWritten == that.qualitiesWritten
                && qualityCapacity == that.qualityCapacity
                && tasksRemembered == that.tasksRemembered
                && trajectories == that.trajectories
                && Double.compare(qualitySum, that.qualitySum) == 0
                && microCandidateFlushes == that.microCandidateFlushes
                && correctionsSinceCandidate == that.correctionsSinceCandidate
                && Double.compare(lossSinceCandidate, that.lossSinceCandidate) == 0
                && pendingTimer == that.pendingTimer
                && lastChangeTimestamp == that.lastChangeTimestamp
                && Arrays.equals(lineages, that.lineages);
    }

    @Override
    public int hashCode() {
        return Objects.hash(heldOutWritten, heldOutCapacity, qualitiesWritten, qualityCapacity, tasksRemembered,
                trajectories, microCandidateFlushes) * 31 + Arrays.hashCode(lineages);
    }

    @Override
    public String toString() {
        return "GateKeyState{heldOut=" + heldOutWritten + "/" + heldOutCapacity + ", qualities=" + qualitiesWritten
                + "/" + qualityCapacity + ", tasks=" + tasksRemembered + ", trajectories=" + trajectories
                + ", microCandidateFlushes=" + microCandidateFlushes + ", lineages=" + Arrays.toString(lineages) + '}';
    }

    /**
     * One kind's published versions and the two watches over its latest promotion: the quality of
     * the trajectories served after it, and the served model's loss on the held-out trajectories
     * that arrive after it, against what rolling back would serve.
     */
    static final class Lineage {
        /** Highest version published (0: none; the identity adapter is version 0 and never published). */
        long published;
        /** The promotion whose quality is watched (0: none). */
        long watchedVersion;
        /** Mean quality of the window before {@link #watchedVersion} was promoted. */
        double baselineQuality;
        /** Comparable trajectories seen since {@link #watchedVersion} was promoted. */
        long watchedCount;
        /** Sum of their qualities. */
        double watchedQualitySum;
        /** The promotion whose held-out loss is watched (0: none). */
        long heldOutWatchedVersion;
        /** Held-out examples seen since {@link #heldOutWatchedVersion} was promoted. */
        long heldOutWatchedCount;
        /** Sum of their losses under the served model. */
        double heldOutServedLoss;
        /** Sum of their losses under the model a rollback to the version before would serve. */
        double heldOutAlternativeLoss;
        /** Sum of their losses with no adapter. */
        double heldOutIdentityLoss;

        boolean watching() {
            return watchedVersion > 0;
        }

        void watch(long version, double baseline) {
            watchedVersion = version;
            baselineQuality = baseline;
            watchedCount = 0;
            watchedQualitySum = 0;
        }

        void stopWatching() {
            watch(0, 0);
        }

        boolean watchingHeldOut() {
            return heldOutWatchedVersion > 0;
        }

        void watchHeldOut(long version) {
            heldOutWatchedVersion = version;
            heldOutWatchedCount = 0;
            heldOutServedLoss = 0;
            heldOutAlternativeLoss = 0;
            heldOutIdentityLoss = 0;
        }

        void stopWatchingHeldOut() {
            watchHeldOut(0);
        }

        @Override
        public boolean equals(Object o) {
            if (this == o) {
                return true;
            }
            if (!(o instanceof Lineage)) {
                return false;
            }
            Lineage that = (Lineage) o;
            return published == that.published
                    && watchedVersion == that.watchedVersion
                    && Double.compare(baselineQuality, that.baselineQuality) == 0
                    && watchedCount == that.watchedCount
                    && Double.compare(watchedQualitySum, that.watchedQualitySum) == 0
                    && heldOutWatchedVersion == that.heldOutWatchedVersion
                    && heldOutWatchedCount == that.heldOutWatchedCount
                    && Double.compare(heldOutServedLoss, that.heldOutServedLoss) == 0
                    && Double.compare(heldOutAlternativeLoss, that.heldOutAlternativeLoss) == 0
                    && Double.compare(heldOutIdentityLoss, that.heldOutIdentityLoss) == 0;
        }

        @Override
        public int hashCode() {
            return Objects.hash(published, watchedVersion, baselineQuality, watchedCount, watchedQualitySum,
                    heldOutWatchedVersion, heldOutWatchedCount);
        }

        @Override
        public String toString() {
            return "Lineage{published=" + published + ", watched=" + watchedVersion + ", baseline=" + baselineQuality
                    + ", watchedCount=" + watchedCount + ", watchedSum=" + watchedQualitySum + ", heldOutWatched="
                    + heldOutWatchedVersion + "/" + heldOutWatchedCount + '}';
        }
    }
}
