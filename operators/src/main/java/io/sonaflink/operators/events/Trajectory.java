package io.sonaflink.operators.events;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One served request as the fleet reports it. After parsing, {@link #quality()} is always set:
 * the producer's value, or the quality of the metrics when it gave none.
 *
 * @param id trajectory id (joins signals to it)
 * @param key adapter key
 * @param timestamp event time, epoch milliseconds
 * @param embedding request embedding
 * @param route route used
 * @param discreteParams string-valued parameters used
 * @param numericParams numeric parameters used
 * @param metrics measured cost, or null
 * @param quality quality in [0, 1]
 * @param target the embedding the request should have produced, or null
 * @param weight example weight (1 unless a signal changed it)
 */
public record Trajectory(
        String id,
        AdapterKey key,
        long timestamp,
        float[] embedding,
        String route,
        Map<String, String> discreteParams,
        Map<String, Double> numericParams,
        ExecutionMetrics metrics,
        float quality,
        float[] target,
        float weight) {

    public Trajectory {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(embedding, "embedding");
        Objects.requireNonNull(route, "route");
        discreteParams = new TreeMap<>(discreteParams);
        numericParams = new TreeMap<>(numericParams);
        if (target != null && target.length != embedding.length) {
            throw new IllegalArgumentException("target and embedding differ in dimension");
        }
    }

    public boolean hasTarget() {
        return target != null;
    }

    /** A copy with another quality, target and weight (what a training signal changes). */
    public Trajectory withFeedback(float newQuality, float[] newTarget, float newWeight) {
        return new Trajectory(id, key, timestamp, embedding, route, discreteParams, numericParams, metrics,
                newQuality, newTarget, newWeight);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Trajectory)) {
            return false;
        }
        Trajectory that = (Trajectory) o;
        return timestamp == that.timestamp
                && Float.compare(quality, that.quality) == 0
                && Float.compare(weight, that.weight) == 0
                && id.equals(that.id)
                && key.equals(that.key)
                && Arrays.equals(embedding, that.embedding)
                && route.equals(that.route)
                && discreteParams.equals(that.discreteParams)
                && numericParams.equals(that.numericParams)
                && Objects.equals(metrics, that.metrics)
                && Arrays.equals(target, that.target);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, key, timestamp, route, quality) * 31 + Arrays.hashCode(embedding);
    }

    @Override
    public String toString() {
        return "Trajectory{id='" + id + "', key=" + key + ", dim=" + embedding.length + ", route='" + route
                + "', quality=" + quality + ", target=" + (target != null) + ", weight=" + weight + '}';
    }
}
