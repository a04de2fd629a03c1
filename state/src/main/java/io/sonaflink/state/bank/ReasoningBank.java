package io.sonaflink.state.bank;

import io.sonaflink.state.math.Vectors;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The per-key store of learned patterns (seed 004, {@code DagReasoningBank}): cosine top-k search,
 * merging each cycle's patterns without duplicating ones already known, consolidation of near
 * duplicates by sample-weighted average, and eviction of the least confident pattern at capacity.
 *
 * <p>Search runs over a transposed copy of all centroids with precomputed inverse norms, rebuilt
 * lazily after a change, so a top-1 query is one vectorised sweep ({@link Vectors#dotAll}).
 */
public final class ReasoningBank {

    private final int dim;
    private final List<Pattern> patterns;
    private long nextId;

    // Search index, derived from patterns; never checkpointed.
    private transient float[][] searchRows;
    private transient float[] inverseNorms;
    private transient float[] scratch;
    private transient boolean indexValid;

    public ReasoningBank(int dim, List<Pattern> patterns, long nextId) {
        if (dim < 1) {
            throw new IllegalArgumentException("dim must be positive: " + dim);
        }
        for (Pattern p : patterns) {
            checkDim(dim, p.centroid());
            if (p.id() >= nextId || p.id() <= 0) {
                throw new IllegalArgumentException("pattern id " + p.id() + " not below nextId " + nextId);
            }
        }
        this.dim = dim;
        this.patterns = new ArrayList<>(patterns);
        this.nextId = nextId;
    }

    public static ReasoningBank create(int dim) {
        return new ReasoningBank(dim, List.of(), 1L);
    }

    /** The {@code k} patterns most cosine-similar to {@code query}, most similar first. */
    public List<SimilarPattern> findSimilar(float[] query, int k) {
        checkDim(dim, query);
        if (k <= 0 || patterns.isEmpty()) {
            return List.of();
        }
        float[] sims = similarities(query);
        int count = Math.min(k, patterns.size());
        // Partial selection: k is small next to the bank.
        int[] best = new int[count];
        int filled = 0;
        for (int p = 0; p < patterns.size(); p++) {
            float s = sims[p];
            if (filled < count) {
                int pos = filled++;
                while (pos > 0 && sims[best[pos - 1]] < s) {
                    best[pos] = best[pos - 1];
                    pos--;
                }
                best[pos] = p;
            } else if (s > sims[best[count - 1]]) {
                int pos = count - 1;
                while (pos > 0 && sims[best[pos - 1]] < s) {
                    best[pos] = best[pos - 1];
                    pos--;
                }
                best[pos] = p;
            }
        }
        List<SimilarPattern> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(new SimilarPattern(patterns.get(best[i]), sims[best[i]]));
        }
        return out;
    }

    /** The most similar pattern, or null when the bank is empty. Allocation-free apart from the result. */
    public SimilarPattern findBest(float[] query) {
        checkDim(dim, query);
        if (patterns.isEmpty()) {
            return null;
        }
        float[] sims = similarities(query);
        int best = 0;
        for (int p = 1; p < patterns.size(); p++) {
            if (sims[p] > sims[best]) {
                best = p;
            }
        }
        return new SimilarPattern(patterns.get(best), sims[best]);
    }

    /**
     * Merges one cycle's patterns: a candidate below the confidence threshold is rejected; one at
     * or above the consolidation threshold of cosine similarity to a stored pattern is absorbed
     * into it (so a stationary stream does not duplicate patterns cycle after cycle); any other
     * is stored under a new id. Then near-duplicates among the changed patterns are consolidated
     * and the least confident patterns are evicted down to capacity.
     */
    public MergeReport merge(List<Pattern> candidates, ReasoningBankConfig config, long cycle) {
        int inserted = 0;
        int merged = 0;
        int rejected = 0;
        Set<Long> changed = new HashSet<>();
        for (Pattern candidate : candidates) {
            checkDim(dim, candidate.centroid());
            if (candidate.confidence() < config.confidenceThreshold()) {
                rejected++;
                continue;
            }
            SimilarPattern nearest = findBest(candidate.centroid());
            if (nearest != null && nearest.similarity() >= config.consolidationThreshold()) {
                replace(nearest.pattern(), nearest.pattern().mergedWith(candidate, cycle));
                changed.add(nearest.pattern().id());
                merged++;
            } else {
                Pattern stored = candidate.withId(nextId++);
                patterns.add(stored);
                indexValid = false;
                changed.add(stored.id());
                inserted++;
            }
        }
        int consolidated = consolidate(changed, config.consolidationThreshold(), cycle);
        int evicted = evictToCapacity(config.capacity());
        return new MergeReport(inserted, merged, rejected, consolidated, evicted);
    }

    /**
     * Merges every pair of patterns at or above {@code threshold} cosine similarity (the
     * lower id absorbs the other), repeating until no such pair is left.
     *
     * @return patterns absorbed
     */
    public int consolidateAll(float threshold, long cycle) {
        Set<Long> all = new HashSet<>();
        for (Pattern p : patterns) {
            all.add(p.id());
        }
        return consolidate(all, threshold, cycle);
    }

    /** Consolidates pairs that involve at least one pattern of {@code changed}. */
    private int consolidate(Set<Long> changed, float threshold, long cycle) {
        int absorbed = 0;
        boolean again = true;
        while (again) {
            again = false;
            outer:
            for (int i = 0; i < patterns.size(); i++) {
                Pattern a = patterns.get(i);
                for (int j = i + 1; j < patterns.size(); j++) {
                    Pattern b = patterns.get(j);
                    if (!changed.contains(a.id()) && !changed.contains(b.id())) {
                        continue;
                    }
                    if (Vectors.cosine(a.centroid(), b.centroid()) >= threshold) {
                        Pattern keep = a.id() < b.id() ? a : b;
                        Pattern drop = keep == a ? b : a;
                        patterns.set(patterns.indexOf(keep), keep.mergedWith(drop, cycle));
                        patterns.remove(drop);
                        changed.add(keep.id());
                        indexValid = false;
                        absorbed++;
                        again = true;
                        break outer;
                    }
                }
            }
        }
        return absorbed;
    }

    /** Evicts the least confident patterns (the older one on a tie) until at most {@code capacity} remain. */
    public int evictToCapacity(int capacity) {
        int evicted = 0;
        while (patterns.size() > capacity) {
            int worst = 0;
            for (int p = 1; p < patterns.size(); p++) {
                Pattern c = patterns.get(p);
                Pattern w = patterns.get(worst);
                if (c.confidence() < w.confidence() || (c.confidence() == w.confidence() && c.id() < w.id())) {
                    worst = p;
                }
            }
            patterns.remove(worst);
            indexValid = false;
            evicted++;
        }
        return evicted;
    }

    private void replace(Pattern old, Pattern updated) {
        patterns.set(patterns.indexOf(old), updated);
        indexValid = false;
    }

    /** Cosine similarity of {@code query} to each pattern, in bank order (a reused buffer). */
    private float[] similarities(float[] query) {
        if (!indexValid) {
            rebuildIndex();
        }
        int n = patterns.size();
        Vectors.dotAll(query, 0, searchRows, n, scratch);
        float qn = Vectors.squaredNorm(query);
        float invQ = qn == 0f ? 0f : (float) (1.0 / Math.sqrt(qn));
        for (int p = 0; p < n; p++) {
            scratch[p] *= inverseNorms[p] * invQ;
        }
        return scratch;
    }

    private void rebuildIndex() {
        int n = patterns.size();
        float[] centroids = new float[n * dim];
        inverseNorms = new float[n];
        for (int p = 0; p < n; p++) {
            float[] c = patterns.get(p).centroid();
            System.arraycopy(c, 0, centroids, p * dim, dim);
            float norm = Vectors.squaredNorm(c);
            inverseNorms[p] = norm == 0f ? 0f : (float) (1.0 / Math.sqrt(norm));
        }
        searchRows = Vectors.transposeToRows(centroids, n, dim, n);
        scratch = new float[Math.max(1, n)];
        indexValid = true;
    }

    public int dim() {
        return dim;
    }

    public int size() {
        return patterns.size();
    }

    public List<Pattern> patterns() {
        return Collections.unmodifiableList(patterns);
    }

    public long nextId() {
        return nextId;
    }

    public ReasoningBank copy() {
        return new ReasoningBank(dim, patterns, nextId);
    }

    private static void checkDim(int dim, float[] v) {
        if (v.length != dim) {
            throw new IllegalArgumentException("expected a " + dim + "-dimensional vector, got " + v.length);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ReasoningBank)) {
            return false;
        }
        ReasoningBank that = (ReasoningBank) o;
        return dim == that.dim && nextId == that.nextId && patterns.equals(that.patterns);
    }

    @Override
    public int hashCode() {
        return Objects.hash(dim, nextId, patterns);
    }
}
