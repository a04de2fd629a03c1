package io.sonaflink.state.sample;

/**
 * Quality of a request from its measured metrics when the producer gave none (seed 004,
 * {@code compute_quality}): {@code 0.5 / (1 + latency_ms) + 0.3 / (1 + memory_MB) + 0.2 * cacheHit}.
 */
public final class QualityFunction {

    static final double LATENCY_WEIGHT = 0.5;
    static final double MEMORY_WEIGHT = 0.3;
    static final double CACHE_WEIGHT = 0.2;

    private QualityFunction() {}

    /**
     * @param latencyUs total latency in microseconds (non-negative)
     * @param memoryBytes memory used in bytes (non-negative)
     * @param cacheHitRate cache hit rate, clamped to [0, 1]
     * @return quality in [0, 1]
     */
    public static float fromMetrics(long latencyUs, long memoryBytes, float cacheHitRate) {
        if (latencyUs < 0 || memoryBytes < 0) {
            throw new IllegalArgumentException("latency and memory must be non-negative");
        }
        double latencyScore = 1.0 / (1.0 + latencyUs / 1000.0);
        double memoryScore = 1.0 / (1.0 + memoryBytes / 1_000_000.0);
        double cacheScore = Float.isNaN(cacheHitRate) ? 0.0 : Math.min(1.0, Math.max(0.0, cacheHitRate));
        return (float) (LATENCY_WEIGHT * latencyScore + MEMORY_WEIGHT * memoryScore + CACHE_WEIGHT * cacheScore);
    }
}
