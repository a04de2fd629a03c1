package io.sonaflink.state.sample;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What the learning core keeps of one trajectory: its embedding, the route and parameters used,
 * its quality, and, when known, the embedding it should have produced.
 *
 * @param embedding request embedding
 * @param target corrected embedding, or null when the trajectory has none
 * @param weight example weight (signal source: human 1.0, ai 0.5, automated 0.25)
 * @param quality quality in [0, 1], given or computed by {@link QualityFunction}
 * @param route route used (a discrete parameter; empty when none)
 * @param discreteParams other discrete parameters, sorted by name
 * @param numericParams continuous parameters, sorted by name
 */
public record TrajectorySample(
        float[] embedding,
        float[] target,
        float weight,
        float quality,
        String route,
        Map<String, String> discreteParams,
        Map<String, Double> numericParams) {

    public TrajectorySample {
        Objects.requireNonNull(embedding, "embedding");
        Objects.requireNonNull(route, "route");
        if (target != null && target.length != embedding.length) {
            throw new IllegalArgumentException("target and embedding differ in dimension");
        }
        discreteParams = discreteParams == null ? Map.of() : new TreeMap<>(discreteParams);
        numericParams = numericParams == null ? Map.of() : new TreeMap<>(numericParams);
    }

    /** A sample with no target and no parameters besides the route. */
    public static TrajectorySample of(float[] embedding, float quality, String route) {
        return new TrajectorySample(embedding, null, 1f, quality, route, Map.of(), Map.of());
    }

    public boolean hasTarget() {
        return target != null;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TrajectorySample)) {
            return false;
        }
        TrajectorySample that = (TrajectorySample) o;
        return Float.compare(weight, that.weight) == 0
                && Float.compare(quality, that.quality) == 0
                && Arrays.equals(embedding, that.embedding)
                && Arrays.equals(target, that.target)
                && route.equals(that.route)
                && discreteParams.equals(that.discreteParams)
                && numericParams.equals(that.numericParams);
    }

    @Override
    public int hashCode() {
        return Objects.hash(weight, quality, route, discreteParams, numericParams) * 31 + Arrays.hashCode(embedding);
    }

    @Override
    public String toString() {
        return "TrajectorySample{dim=" + embedding.length + ", quality=" + quality + ", route='" + route
                + "', target=" + (target != null) + '}';
    }
}
