package io.sonaflink.operators.gate;

import io.sonaflink.operators.events.AdapterKind;

import java.util.Arrays;
import java.util.Objects;

/**
 * The adapter gate's small per-key record: ring positions, and per adapter kind the published
 * lineage and the automatic-rollback monitor. Read and written once per event; the rings and the
 * version history it indexes live in their own map states.
 */
public final class GateKeyState {

    /** Trajectories with targets written to the held-out ring so far. */
    long heldOutWritten;
    /** Capacity the held-out ring was last written with (0: never). */
    int heldOutCapacity;
    /** Qualities written to the recent-quality ring so far. */
    long qualitiesWritten;
    /** Capacity the recent-quality ring was last written with (0: never). */
    int qualityCapacity;
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

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof GateKeyState)) {
            return false;
        }
        GateKeyState that = (GateKeyState) o;
        return heldOutWritten == that.heldOutWritten
                && heldOutCapacity == that.heldOutCapacity
                && qualitiesWritten == that.qualitiesWritten
                && qualityCapacity == that.qualityCapacity
                && Arrays.equals(lineages, that.lineages);
    }

    @Override
    public int hashCode() {
        return Objects.hash(heldOutWritten, heldOutCapacity, qualitiesWritten, qualityCapacity) * 31
                + Arrays.hashCode(lineages);
    }

    @Override
    public String toString() {
        return "GateKeyState{heldOut=" + heldOutWritten + "/" + heldOutCapacity + ", qualities=" + qualitiesWritten
                + "/" + qualityCapacity + ", lineages=" + Arrays.toString(lineages) + '}';
    }

    /** One kind's published versions and the watch over its latest promotion. */
    static final class Lineage {
        /** Highest version published (0: none; the identity adapter is version 0 and never published). */
        long published;
        /** The promotion being watched for a quality drop (0: none). */
        long watchedVersion;
        /** Mean quality of the window before {@link #watchedVersion} was promoted. */
        double baselineQuality;
        /** Trajectories seen since {@link #watchedVersion} was promoted. */
        long watchedCount;
        /** Sum of their qualities. */
        double watchedQualitySum;

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
                    && Double.compare(watchedQualitySum, that.watchedQualitySum) == 0;
        }

        @Override
        public int hashCode() {
            return Objects.hash(published, watchedVersion, baselineQuality, watchedCount, watchedQualitySum);
        }

        @Override
        public String toString() {
            return "Lineage{published=" + published + ", watched=" + watchedVersion + ", baseline=" + baselineQuality
                    + ", watchedCount=" + watchedCount + ", watchedSum=" + watchedQualitySum + '}';
        }
    }
}
