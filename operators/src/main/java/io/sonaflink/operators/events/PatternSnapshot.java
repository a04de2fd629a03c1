package io.sonaflink.operators.events;

import io.sonaflink.state.bank.Pattern;

import java.util.List;
import java.util.Objects;

/**
 * The ReasoningBank of one key after a background cycle: every stored pattern with its centroid,
 * member count, quality statistics, best route and parameters.
 *
 * @param key adapter key
 * @param cycle background cycle that produced it
 * @param timestamp when the cycle ran (processing time, epoch milliseconds)
 * @param patterns stored patterns, in bank order
 */
public record PatternSnapshot(AdapterKey key, long cycle, long timestamp, List<Pattern> patterns) {

    public PatternSnapshot {
        Objects.requireNonNull(key, "key");
        patterns = List.copyOf(patterns);
    }
}
