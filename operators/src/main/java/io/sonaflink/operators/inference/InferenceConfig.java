package io.sonaflink.operators.inference;

import io.sonaflink.state.bandit.RouteAdvisor;

import java.io.Serializable;
import java.util.Objects;

/**
 * How the inference operator batches, computes and holds what it serves.
 *
 * @param advisor the route choice: thresholds of a pattern hit, UCB exploration otherwise
 * @param maxBatch queries gathered before a batch is computed
 * @param maxWaitMs the longest a query waits for its batch to fill (processing time)
 * @param device where batches are computed
 * @param minDeviceBatch batches smaller than this are computed in plain Java, which is faster for
 *     them than a round trip through DJL
 * @param cacheBytes the heap a task gives ready-to-serve stacks, banks and the content its
 *     broadcast state names without holding
 * @param inlineBytes content up to this size is held in the broadcast state itself (always, when
 *     there is no store to read it from)
 * @param loadTimeoutMs how long a task keeps trying to read a part from the store before it answers
 *     the queries that wait for it with an error
 */
public record InferenceConfig(RouteAdvisor advisor, int maxBatch, long maxWaitMs, InferenceDevice device,
        int minDeviceBatch, long cacheBytes, long inlineBytes, long loadTimeoutMs) implements Serializable {

    public static final long DEFAULT_CACHE_BYTES = 256L << 20;
    public static final long DEFAULT_INLINE_BYTES = 4L << 10;
    public static final long DEFAULT_LOAD_TIMEOUT_MS = 60_000;

    public InferenceConfig {
        Objects.requireNonNull(advisor, "advisor");
        Objects.requireNonNull(device, "device");
        if (maxBatch < 1 || maxWaitMs < 0 || minDeviceBatch < 1) {
            throw new IllegalArgumentException("batch size and device batch must be positive, the wait not negative: "
                    + maxBatch + ", " + maxWaitMs + " ms, " + minDeviceBatch);
        }
        if (cacheBytes < 1 || inlineBytes < 0 || loadTimeoutMs < 1) {
            throw new IllegalArgumentException("the cache and the load timeout must be positive, the inline size not"
                    + " negative: " + cacheBytes + ", " + loadTimeoutMs + " ms, " + inlineBytes);
        }
    }

    /** With the default cache, inline size and load timeout. */
    public InferenceConfig(RouteAdvisor advisor, int maxBatch, long maxWaitMs, InferenceDevice device,
            int minDeviceBatch) {
        this(advisor, maxBatch, maxWaitMs, device, minDeviceBatch, DEFAULT_CACHE_BYTES, DEFAULT_INLINE_BYTES,
                DEFAULT_LOAD_TIMEOUT_MS);
    }
}
