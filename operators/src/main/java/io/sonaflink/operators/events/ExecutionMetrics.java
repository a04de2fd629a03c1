package io.sonaflink.operators.events;

import io.sonaflink.state.sample.QualityFunction;

/** Measured cost of one request (seed 004, {@code ExecutionMetrics}). */
public record ExecutionMetrics(
        long latencyUs, long planningUs, long executionUs, long rowsProcessed, long memoryBytes, float cacheHitRate) {

    /** Seed 004's weighted quality of these metrics. */
    public float quality() {
        return QualityFunction.fromMetrics(latencyUs, memoryBytes, cacheHitRate);
    }
}
