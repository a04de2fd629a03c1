package io.sonaflink.state.bank;

import java.io.Serializable;

/**
 * ReasoningBank limits (seed 004: confidence 0.5 to store, 0.95 cosine to consolidate).
 *
 * @param capacity patterns kept; the least confident is evicted beyond this
 * @param confidenceThreshold a new pattern below this confidence is not stored
 * @param consolidationThreshold patterns at or above this cosine similarity are merged
 */
public record ReasoningBankConfig(int capacity, float confidenceThreshold, float consolidationThreshold) implements Serializable {

    public static final ReasoningBankConfig DEFAULT = new ReasoningBankConfig(1000, 0.5f, 0.95f);

    public ReasoningBankConfig {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        if (!(consolidationThreshold > 0f && consolidationThreshold <= 1f)) {
            throw new IllegalArgumentException("consolidationThreshold must be in (0, 1]: " + consolidationThreshold);
        }
    }
}
