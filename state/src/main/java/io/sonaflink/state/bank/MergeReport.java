package io.sonaflink.state.bank;

/**
 * What merging one cycle's patterns into the bank did.
 *
 * @param inserted new patterns stored
 * @param merged candidates absorbed into an existing, similar pattern
 * @param rejected candidates below the confidence threshold
 * @param consolidated stored patterns merged into another by consolidation
 * @param evicted patterns evicted for capacity
 */
public record MergeReport(int inserted, int merged, int rejected, int consolidated, int evicted) {}
