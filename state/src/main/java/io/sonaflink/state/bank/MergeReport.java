package io.sonaflink.state.bank;

/**
 * What one learning cycle did to the bank ({@link PatternLearner}).
 *
 * @param inserted new patterns stored (clusters no stored pattern covered)
 * @param refined stored patterns refined by this window's members
 * @param rejected new clusters not stored: fewer than {@link PatternLearner#MIN_NEW_PATTERN_SAMPLES}
 *     members or below the confidence threshold
 * @param absorbed stored patterns found to be one cluster with another and removed: the window's
 *     trajectories of that cluster refine the other
 * @param retired patterns retired before they were established ({@code retireAfterCycles})
 * @param evicted patterns evicted for capacity
 * @param unplaced trajectories in no pattern this cycle (a rejected cluster's, or a stray or two that
 *     reached a stored pattern): counted, not lost
 */
public record MergeReport(int inserted, int refined, int rejected, int absorbed, int retired, int evicted,
        int unplaced) {

    public static final MergeReport NONE = new MergeReport(0, 0, 0, 0, 0, 0, 0);
}
