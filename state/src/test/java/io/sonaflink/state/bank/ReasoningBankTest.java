package io.sonaflink.state.bank;

import io.sonaflink.state.cycle.BackgroundConfig;
import io.sonaflink.state.cycle.BackgroundLearner;
import io.sonaflink.state.cycle.CycleReport;
import io.sonaflink.state.lora.BaseLora;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.sample.TrajectorySample;
import io.sonaflink.state.testing.Fixtures;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ReasoningBankTest {

    private static final double SIM_TOLERANCE = 1e-5;

    // ---------------------------------------------------------------- search

    @Test
    void findSimilarEqualsBruteForceCosineTopK() {
        int dim = 64;
        DeterministicRandom random = new DeterministicRandom(101);
        ReasoningBank bank = new ReasoningBank(dim, randomPatterns(200, dim, 1L, random), 201L);

        SearchStats stats = new SearchStats();
        checkQueries(bank, 150, random, stats);

        // The search index must follow changes: insert, then refine (centroids move), then evict.
        for (Pattern p : randomPatterns(60, dim, 1L, random)) {
            bank.add(p.withId(0L));
        }
        assertThat(bank.size()).isEqualTo(260);
        checkQueries(bank, 100, random, stats);

        for (int i = 0; i < 30; i++) {
            Pattern stored = bank.patterns().get(7 * i);
            float[] c = stored.centroid();
            double sigma = 0.05 * Math.sqrt(squaredNorm(c) / dim);
            float[] moved = c.clone();
            for (int j = 0; j < dim; j++) {
                moved[j] += (float) (sigma * random.nextGaussian());
            }
            bank.replace(stored.refinedBy(candidate(moved, 1000, 0.0), 10, 3L));
        }
        assertThat(bank.size()).isEqualTo(260);
        checkQueries(bank, 100, random, stats);

        assertThat(bank.evictToCapacity(120)).isEqualTo(140);
        assertThat(bank.size()).isEqualTo(120);
        checkQueries(bank, 100, random, stats);

        assertThat(stats.failures).isEmpty();
        // Nearly every position must have been checked by exact id; near ties are rare.
        assertThat(stats.exactIdChecks).isGreaterThan((int) (0.95 * stats.positions));
        assertThat(stats.positions).isGreaterThan(10_000);
    }

    @Test
    void searchHandlesEdgeCases() {
        ReasoningBank empty = ReasoningBank.create(4);
        assertThat(empty.findBest(new float[] {1f, 0f, 0f, 0f})).isNull();
        assertThat(empty.findSimilar(new float[] {1f, 0f, 0f, 0f}, 3)).isEmpty();

        ReasoningBank bank = new ReasoningBank(4, List.of(
                pattern(1L, new float[] {1f, 0f, 0f, 0f}, 5, 0.0),
                pattern(2L, new float[] {0f, 3f, 0f, 0f}, 5, 0.0)), 3L);
        assertThat(bank.findSimilar(new float[] {1f, 1f, 0f, 0f}, 0)).isEmpty();
        // Cosine ignores magnitude: (1, 2) is closer in angle to the y axis although |y centroid| = 3.
        List<SimilarPattern> hits = bank.findSimilar(new float[] {1f, 2f, 0f, 0f}, 5);
        assertThat(hits).extracting(h -> h.pattern().id()).containsExactly(2L, 1L);
        assertThat(hits.get(0).similarity()).isCloseTo((float) (2 / Math.sqrt(5)), within(1e-6f));
        assertThat(hits.get(1).similarity()).isCloseTo((float) (1 / Math.sqrt(5)), within(1e-6f));
        // A zero query is similar to nothing.
        assertThat(bank.findBest(new float[4]).similarity()).isZero();
        assertThatThrownBy(() -> bank.findBest(new float[3])).isInstanceOf(IllegalArgumentException.class);
    }

    private static final class SearchStats {
        final List<String> failures = new ArrayList<>();
        int positions;
        int exactIdChecks;
    }

    private static void checkQueries(ReasoningBank bank, int queries, DeterministicRandom random, SearchStats stats) {
        int dim = bank.dim();
        List<Pattern> patterns = bank.patterns();
        for (int q = 0; q < queries; q++) {
            float[] query;
            if (q % 2 == 0) {
                query = Fixtures.gaussianVector(dim, 0.1 + 5 * random.nextDouble(), random);
            } else {
                // near a stored pattern, at a different scale
                float[] c = patterns.get(random.nextInt(patterns.size())).centroid();
                double scale = 0.2 + 3 * random.nextDouble();
                double norm = Math.sqrt(squaredNorm(c));
                query = new float[dim];
                for (int j = 0; j < dim; j++) {
                    query[j] = (float) (scale * c[j] + 0.3 * scale * norm / Math.sqrt(dim) * random.nextGaussian());
                }
            }
            for (int k : new int[] {1, 5, 20, patterns.size() + 7}) {
                assertTopK(bank, query, k, stats);
            }
            // findBest is the brute-force top-1 and agrees with findSimilar(query, 1).
            double[] sims = bruteForce(patterns, query);
            Integer[] order = order(sims);
            SimilarPattern best = bank.findBest(query);
            assertThat(best.similarity()).isCloseTo((float) sims[order[0]], within((float) SIM_TOLERANCE));
            if (sims[order[0]] - sims[order[1]] > SIM_TOLERANCE) {
                assertThat(best.pattern().id()).isEqualTo(patterns.get(order[0]).id());
            }
            assertThat(bank.findSimilar(query, 1).get(0).pattern()).isEqualTo(best.pattern());
        }
    }

    private static void assertTopK(ReasoningBank bank, float[] query, int k, SearchStats stats) {
        List<Pattern> patterns = bank.patterns();
        double[] sims = bruteForce(patterns, query);
        Integer[] order = order(sims);
        int count = Math.min(k, patterns.size());
        List<SimilarPattern> got = bank.findSimilar(query, k);
        assertThat(got).hasSize(count);
        Set<Long> ids = new HashSet<>();
        for (int i = 0; i < count; i++) {
            SimilarPattern hit = got.get(i);
            String where = "rank " + i + " of top-" + k + ": ";
            if (!ids.add(hit.pattern().id())) {
                stats.failures.add(where + "duplicate id " + hit.pattern().id());
            }
            double trueSim = cosine(query, hit.pattern().centroid());
            if (Math.abs(hit.similarity() - trueSim) > SIM_TOLERANCE) {
                stats.failures.add(where + "reported similarity " + hit.similarity() + ", true " + trueSim);
            }
            // The i-th hit is the i-th best (exactly, or a near tie of it).
            if (Math.abs(trueSim - sims[order[i]]) > SIM_TOLERANCE) {
                stats.failures.add(where + "similarity " + trueSim + ", brute force " + sims[order[i]]);
            }
            boolean separated = (i == 0 || sims[order[i - 1]] - sims[order[i]] > SIM_TOLERANCE)
                    && (i + 1 >= patterns.size() || sims[order[i]] - sims[order[i + 1]] > SIM_TOLERANCE);
            stats.positions++;
            if (separated) {
                stats.exactIdChecks++;
                long expected = patterns.get(order[i]).id();
                if (hit.pattern().id() != expected) {
                    stats.failures.add(where + "id " + hit.pattern().id() + ", brute force " + expected);
                }
            }
        }
    }

    private static double[] bruteForce(List<Pattern> patterns, float[] query) {
        double[] sims = new double[patterns.size()];
        for (int p = 0; p < sims.length; p++) {
            sims[p] = cosine(query, patterns.get(p).centroid());
        }
        return sims;
    }

    private static Integer[] order(double[] sims) {
        Integer[] order = new Integer[sims.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -sims[i]).thenComparingInt(i -> i));
        return order;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0.0 : dot / Math.sqrt(na * nb);
    }

    private static double squaredNorm(float[] a) {
        double s = 0;
        for (float v : a) {
            s += (double) v * v;
        }
        return s;
    }

    /** Random centroids of widely varying norm, so that a dot-product ranking would differ from cosine. */
    private static List<Pattern> randomPatterns(int count, int dim, long firstId, DeterministicRandom random) {
        List<Pattern> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            double scale = Math.exp(4 * random.nextDouble() - 2); // 0.14 .. 7.4
            float[] c = Fixtures.gaussianVector(dim, scale, random);
            long n = 2 + random.nextInt(50);
            double m2 = 0.02 * n * random.nextDouble();
            out.add(pattern(firstId + i, c, n, m2));
        }
        return out;
    }

    // ---------------------------------------------------------------- eviction

    @Test
    void evictsTheLeastConfidentAndTheOlderOnATie() {
        int dim = 16;
        ReasoningBank bank = ReasoningBank.create(dim);

        // Confidence (1 - sd) * n / (n + 1) with n = 10.
        Pattern a = candidate(basis(dim, 0), 10, 0.0); // 0.909
        Pattern b = candidate(basis(dim, 1), 10, 0.9); // sd 0.3 -> 0.636
        Pattern c = candidate(basis(dim, 2), 10, 0.1); // sd 0.1 -> 0.818
        Pattern d = candidate(basis(dim, 3), 10, 0.4); // sd 0.2 -> 0.727
        assertThat(a.confidence()).isGreaterThan(c.confidence());
        assertThat(c.confidence()).isGreaterThan(d.confidence());
        assertThat(d.confidence()).isGreaterThan(b.confidence());

        for (Pattern p : List.of(a, b, c, d)) {
            bank.add(p);
        }
        assertThat(bank.evictToCapacity(4)).isZero();
        assertThat(ids(bank)).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);

        // e ties with b (id 2); the older one goes.
        Pattern e = candidate(basis(dim, 4), 10, 0.9);
        assertThat(e.confidence()).isEqualTo(b.confidence());
        bank.add(e);
        assertThat(bank.evictToCapacity(4)).isEqualTo(1);
        assertThat(ids(bank)).containsExactlyInAnyOrder(1L, 3L, 4L, 5L);

        // f (0.545) is itself the least confident and goes at once; then e (0.636).
        Pattern f = candidate(basis(dim, 5), 10, 1.6); // sd 0.4 -> 0.545
        Pattern g = candidate(basis(dim, 6), 100, 0.0); // 0.990
        bank.add(f);
        bank.add(g);
        assertThat(bank.evictToCapacity(4)).isEqualTo(2);
        assertThat(ids(bank)).containsExactlyInAnyOrder(1L, 3L, 4L, 7L);

        // What is left is the most confident four, and direct eviction follows the same rule.
        assertThat(bank.evictToCapacity(2)).isEqualTo(2);
        assertThat(ids(bank)).containsExactlyInAnyOrder(1L, 7L);
        assertThat(bank.evictToCapacity(5)).isZero();
        assertThat(bank.nextId()).isEqualTo(8L);
    }

    private static List<Long> ids(ReasoningBank bank) {
        List<Long> ids = new ArrayList<>();
        for (Pattern p : bank.patterns()) {
            ids.add(p.id());
        }
        return ids;
    }

    private static float[] basis(int dim, int axis) {
        float[] v = new float[dim];
        v[axis] = 1f;
        return v;
    }

    // ---------------------------------------------------------------- helpers

    static Pattern pattern(long id, float[] centroid, long n, double m2) {
        return new Pattern(id, centroid, n, 0.8, m2, "r" + id, Map.of(), Map.of(), 1L, 1L);
    }

    static Pattern candidate(float[] centroid, long n, double m2) {
        return pattern(0L, centroid, n, m2);
    }
}
