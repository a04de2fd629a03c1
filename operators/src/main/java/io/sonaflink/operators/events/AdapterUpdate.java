package io.sonaflink.operators.events;

import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.math.Blocks;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A new version of one key's adapter, as the learning loops publish it and the adapter gate and
 * the serving tier consume it. Versions are monotonic per key and kind, so a consumer applies an
 * update only when it is newer than what it holds (idempotent, order-free).
 *
 * <p>The weights are the {@link LoraAdapter}'s parameter blocks ({@code 2 * rank * layers} rows of
 * length {@code dim}; see {@link LoraAdapter} for the layout). The record owns them: build it with
 * {@link #of}, which copies, and never mutate the arrays it returns.
 *
 * @param key adapter key
 * @param kind micro or base adapter
 * @param version this version, greater than {@code parentVersion}
 * @param parentVersion the version this one was learned from; 0 is the initial (identity) adapter,
 *     which is never published
 * @param rank adapter rank
 * @param layers number of LoRA layers
 * @param alpha LoRA alpha; the adapter's scale is {@code alpha / rank}
 * @param weights parameter blocks
 * @param metrics what the learner measured for this version (see the {@code METRIC_*} names)
 * @param createdAt epoch milliseconds of the event that produced these weights (event time, so a
 *     replay produces identical updates)
 */
public record AdapterUpdate(
        AdapterKey key,
        AdapterKind kind,
        long version,
        long parentVersion,
        int rank,
        int layers,
        float alpha,
        float[][] weights,
        Map<String, Double> metrics,
        long createdAt) {

    /** Corrective events the adapter has learned from in total. */
    public static final String METRIC_EVENTS_SEEN = "eventsSeen";
    /** Mean loss, before each update, of the corrections learned since the parent version. */
    public static final String METRIC_MEAN_LOSS = "meanLoss";
    /** Corrections learned since the parent version. */
    public static final String METRIC_RECENT_CORRECTIONS = "recentCorrections";
    /** Trajectories the key has seen in total. */
    public static final String METRIC_TRAJECTORIES = "trajectories";
    /** Mean quality of all the key's trajectories. */
    public static final String METRIC_MEAN_QUALITY = "meanQuality";
    /**
     * Of a MicroLoRA: the BaseLoRA version whose residual it learned (0: none). MicroLoRA and
     * BaseLoRA are one served stack, so a MicroLoRA is served only on top of that version.
     */
    public static final String METRIC_SERVED_WITH_BASE = "servedWithBase";

    public AdapterUpdate {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(weights, "weights");
        Objects.requireNonNull(metrics, "metrics");
        if (parentVersion < 0 || version <= parentVersion) {
            throw new IllegalArgumentException(
                    "version " + version + " must exceed its parent version " + parentVersion + " (>= 0)");
        }
        if (rank < 1 || layers < 1) {
            throw new IllegalArgumentException("rank and layers must be positive: " + rank + ", " + layers);
        }
        if (!(alpha > 0f) || !Float.isFinite(alpha)) {
            throw new IllegalArgumentException("alpha must be positive and finite: " + alpha);
        }
        if (weights.length != 2 * rank * layers) {
            throw new IllegalArgumentException("expected " + 2 * rank * layers + " weight rows, got " + weights.length);
        }
        int dim = weights[0].length;
        for (float[] row : weights) {
            if (row.length != dim || dim < rank) {
                throw new IllegalArgumentException("weight rows must share one length of at least the rank");
            }
        }
        metrics = Collections.unmodifiableMap(new TreeMap<>(metrics));
    }

    /** An update carrying a copy of {@code adapter}'s current weights. */
    public static AdapterUpdate of(
            AdapterKey key,
            AdapterKind kind,
            long version,
            long parentVersion,
            LoraAdapter adapter,
            Map<String, Double> metrics,
            long createdAt) {
        return new AdapterUpdate(key, kind, version, parentVersion, adapter.rank(), adapter.layers(),
                adapter.alpha(), Blocks.copy(adapter.weights()), metrics, createdAt);
    }

    /** Puts {@code value} under {@code name} when it is finite: metrics hold numbers, not NaN. */
    public static void putMetric(Map<String, Double> metrics, String name, double value) {
        if (Double.isFinite(value)) {
            metrics.put(name, value);
        }
    }

    /** {@link #METRIC_SERVED_WITH_BASE}, or -1 when absent (an update of another kind or release). */
    public long servedWithBase() {
        Double v = metrics.get(METRIC_SERVED_WITH_BASE);
        return v == null ? -1L : v.longValue();
    }

    /** Embedding dimension. */
    public int dim() {
        return weights[0].length;
    }

    /** {@code alpha / rank}. */
    public float scale() {
        return alpha / rank;
    }

    /** The adapter these weights define, on a copy of them. */
    public LoraAdapter toAdapter() {
        return new LoraAdapter(dim(), rank, layers, alpha, Blocks.copy(weights));
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof AdapterUpdate)) {
            return false;
        }
        AdapterUpdate that = (AdapterUpdate) o;
        return version == that.version
                && parentVersion == that.parentVersion
                && rank == that.rank
                && layers == that.layers
                && Float.compare(alpha, that.alpha) == 0
                && createdAt == that.createdAt
                && key.equals(that.key)
                && kind == that.kind
                && Arrays.deepEquals(weights, that.weights)
                && metrics.equals(that.metrics);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, kind, version, parentVersion, rank, layers, alpha, createdAt) * 31
                + Arrays.deepHashCode(weights);
    }

    @Override
    public String toString() {
        return "AdapterUpdate{key=" + key + ", kind=" + kind + ", version=" + version + ", parent=" + parentVersion
                + ", dim=" + dim() + ", rank=" + rank + ", layers=" + layers + ", alpha=" + alpha + ", metrics="
                + metrics + ", createdAt=" + createdAt + '}';
    }
}
