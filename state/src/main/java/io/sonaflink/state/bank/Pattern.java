package io.sonaflink.state.bank;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A learned pattern: one cluster of good trajectories, with the parameters that worked for it.
 *
 * <p>Quality statistics are kept as count, mean and sum of squared deviations (Welford), so two
 * patterns merge exactly. Confidence follows seed 004: {@code (1 - sqrt(var(quality))) *
 * (1 - 1/(n + 1))}, floored at 0.
 *
 * @param id bank-assigned id (0 until stored)
 * @param centroid cluster centre
 * @param sampleCount trajectories behind this pattern
 * @param qualityMean mean quality
 * @param qualitySquaredDeviations sum of squared deviations of quality from the mean
 * @param route most frequent route
 * @param discreteParams most frequent value of each discrete parameter
 * @param numericParams mean of each continuous parameter
 * @param createdCycle learning cycle that created it
 * @param updatedCycle learning cycle that last changed it
 */
public record Pattern(
        long id,
        float[] centroid,
        long sampleCount,
        double qualityMean,
        double qualitySquaredDeviations,
        String route,
        Map<String, String> discreteParams,
        Map<String, Double> numericParams,
        long createdCycle,
        long updatedCycle) {

    public Pattern {
        Objects.requireNonNull(centroid, "centroid");
        Objects.requireNonNull(route, "route");
        if (sampleCount < 1) {
            throw new IllegalArgumentException("a pattern needs at least one sample");
        }
        discreteParams = new TreeMap<>(discreteParams);
        numericParams = new TreeMap<>(numericParams);
    }

    public double qualityVariance() {
        return qualitySquaredDeviations / sampleCount;
    }

    public float confidence() {
        double spread = 1.0 - Math.sqrt(Math.max(0.0, qualityVariance()));
        double support = 1.0 - 1.0 / (sampleCount + 1.0);
        return (float) Math.max(0.0, spread * support);
    }

    public Pattern withId(long newId) {
        return new Pattern(newId, centroid, sampleCount, qualityMean, qualitySquaredDeviations, route,
                discreteParams, numericParams, createdCycle, updatedCycle);
    }

    /**
     * The merge of {@code this} and {@code other}, keeping this pattern's id and creation cycle:
     * centroid and continuous parameters are means with this side weighing {@code weightA} and the
     * other {@code weightB}, quality statistics combine exactly (Chan et al.), and discrete
     * parameters come from the heavier side, the closest available stand-in for the mode.
     */
    private Pattern mergedWith(Pattern other, long cycle, double weightA, double weightB) {
        if (other.centroid.length != centroid.length) {
            throw new IllegalArgumentException("patterns differ in dimension");
        }
        long n = sampleCount + other.sampleCount;
        double wa = weightA / (weightA + weightB);
        double wb = weightB / (weightA + weightB);
        float[] merged = new float[centroid.length];
        for (int i = 0; i < merged.length; i++) {
            merged[i] = (float) (wa * centroid[i] + wb * other.centroid[i]);
        }
        double delta = other.qualityMean - qualityMean;
        double mean = qualityMean + delta * other.sampleCount / n;
        double m2 = qualitySquaredDeviations + other.qualitySquaredDeviations
                + delta * delta * sampleCount * (double) other.sampleCount / n;
        Pattern major = weightA >= weightB ? this : other;
        Map<String, Double> numeric = new TreeMap<>();
        for (Map.Entry<String, Double> e : numericParams.entrySet()) {
            Double o = other.numericParams.get(e.getKey());
            numeric.put(e.getKey(), o == null ? e.getValue() : wa * e.getValue() + wb * o);
        }
        for (Map.Entry<String, Double> e : other.numericParams.entrySet()) {
            numeric.putIfAbsent(e.getKey(), e.getValue());
        }
        return new Pattern(id, merged, n, mean, m2, major.route, major.discreteParams, numeric, createdCycle, cycle);
    }

    /**
     * This pattern refined by the same cluster's members in a new window, {@code window} (mini-batch
     * k-means): counts and quality statistics add up exactly; the centroid, the continuous
     * parameters, and the route and discrete parameters (taken from the heavier side) weigh the
     * pattern's history at most {@code memoryWindows} times the window, so a drifting cluster is
     * followed with a memory of about that many windows. Keeps this pattern's id and creation cycle.
     */
    public Pattern refinedBy(Pattern window, int memoryWindows, long cycle) {
        double history = Math.min((double) sampleCount, (double) memoryWindows * window.sampleCount);
        return mergedWith(window, cycle, history, window.sampleCount);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Pattern)) {
            return false;
        }
        Pattern that = (Pattern) o;
        return id == that.id
                && sampleCount == that.sampleCount
                && Double.compare(qualityMean, that.qualityMean) == 0
                && Double.compare(qualitySquaredDeviations, that.qualitySquaredDeviations) == 0
                && createdCycle == that.createdCycle
                && updatedCycle == that.updatedCycle
                && Arrays.equals(centroid, that.centroid)
                && route.equals(that.route)
                && discreteParams.equals(that.discreteParams)
                && numericParams.equals(that.numericParams);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, sampleCount, qualityMean, route) * 31 + Arrays.hashCode(centroid);
    }

    @Override
    public String toString() {
        return "Pattern{id=" + id + ", n=" + sampleCount + ", quality=" + qualityMean + ", confidence="
                + confidence() + ", route='" + route + "'}";
    }
}
