package io.sonaflink.operators.inference;

import io.sonaflink.state.bandit.RouteAdvisor;

import java.io.Serializable;
import java.util.Objects;

/**
 * How the inference operator batches and computes.
 *
 * @param advisor the route choice: thresholds of a pattern hit, UCB exploration otherwise
 * @param maxBatch queries gathered before a batch is computed
 * @param maxWaitMs the longest a query waits for its batch to fill (processing time)
 * @param device where batches are computed
 * @param minDeviceBatch batches smaller than this are computed in plain Java, which is faster for
 *     them than a round trip through DJL
 */
public record InferenceConfig(RouteAdvisor advisor, int maxBatch, long maxWaitMs, InferenceDevice device,
        int minDeviceBatch) implements Serializable {

    public InferenceConfig {
        Objects.requireNonNull(advisor, "advisor");
        Objects.requireNonNull(device, "device");
        if (maxBatch < 1 || maxWaitMs < 0 || minDeviceBatch < 1) {
            throw new IllegalArgumentException("batch size and device batch must be positive, the wait not negative: "
                    + maxBatch + ", " + maxWaitMs + " ms, " + minDeviceBatch);
        }
    }
}
