package io.sonaflink.operators.events;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How confident the system is for one key (seed 003's per-domain confidence map), recomputed after
 * each background cycle from the ReasoningBank.
 *
 * @param key adapter key (its domain is the "skill")
 * @param cycle background cycle
 * @param timestamp when the cycle ran (processing time, epoch milliseconds)
 * @param confidence sample-weighted mean confidence of the key's patterns (0 when it has none)
 * @param routeQuality sample-weighted mean quality per recommended route
 * @param patterns number of stored patterns
 * @param samples trajectories behind them
 */
public record SkillMap(
        AdapterKey key, long cycle, long timestamp, double confidence, Map<String, Double> routeQuality, int patterns,
        long samples) {

    public SkillMap {
        Objects.requireNonNull(key, "key");
        routeQuality = Collections.unmodifiableMap(new TreeMap<>(routeQuality));
    }
}
