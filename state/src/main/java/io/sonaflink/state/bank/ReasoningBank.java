package io.sonaflink.state.bank;

import io.sonaflink.state.math.Vectors;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The per-key store of learned patterns (seed 004, {@code DagReasoningBank}): cosine top-k search
 * and eviction of the least confident pattern at capacity. A learning cycle refines it as a model
 * ({@link PatternLearner}): its patterns seed the cycle's clustering, so one real cluster stays one
 * pattern, with one id, across cycles.
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

    /** Stores {@code pattern} under the next id and returns it as stored. */
    public Pattern add(Pattern pattern) {
        checkDim(dim, pattern.centroid());
        Pattern stored = pattern.withId(nextId++);
        patterns.add(stored);
        indexValid = false;
        return stored;
    }

    /** Replaces the stored pattern with {@code updated}'s id. */
    void replace(Pattern updated) {
        checkDim(dim, updated.centroid());
        for (int p = 0; p < patterns.size(); p++) {
            if (patterns.get(p).id() == updated.id()) {
                patterns.set(p, updated);
                indexValid = false;
                return;
            }
        }
        throw new IllegalArgumentException("no pattern " + updated.id());
    }

    /** Removes the pattern with {@code id}; returns whether there was one. */
    boolean remove(long id) {
        boolean removed = patterns.removeIf(p -> p.id() == id);
        indexValid = indexValid && !removed;
        return removed;
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
