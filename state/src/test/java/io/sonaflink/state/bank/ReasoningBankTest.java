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

        // The search index must follow changes: insert through merge, then evict.
        List<Pattern> more = new ArrayList<>();
        for (Pattern p : randomPatterns(60, dim, 1L, random)) {
            more.add(p.withId(0L));
        }
        MergeReport report = bank.merge(more, new ReasoningBankConfig(10_000, 0.0f, 0.99f), 2L);
        assertThat(report.inserted()).isEqualTo(60);
        assertThat(bank.size()).isEqualTo(260);
        checkQueries(bank, 100, random, stats);

        // Absorb heavy near-duplicates into 30 stored patterns: their centroids move.
        List<Pattern> nearDuplicates = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            float[] c = bank.patterns().get(7 * i).centroid();
            double sigma = 0.05 * Math.sqrt(squaredNorm(c) / dim);
            float[] moved = c.clone();
            for (int j = 0; j < dim; j++) {
                moved[j] += (float) (sigma * random.nextGaussian());
            }
            nearDuplicates.add(candidate(moved, 1000, 0.0));
        }
        report = bank.merge(nearDuplicates, new ReasoningBankConfig(10_000, 0.0f, 0.99f), 3L);
        assertThat(report.merged()).isEqualTo(30);
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

    // ---------------------------------------------------------------- stationary stream

    @Test
    void stationaryStreamNeitherDuplicatesNorLosesPatterns() {
        int dim = 64;
        int k = 10;
        int perCycle = 2000;
        float[] centres = Fixtures.gaussian(k, dim, 1.0, new DeterministicRandom(7));
        BackgroundConfig config = BackgroundConfig.DEFAULT.withPatternClusters(k);
        ReasoningBank bank = ReasoningBank.create(dim);
        BaseLora lora = BaseLora.create(dim, config.baseLora(), config.ewc(), 3L);

        long[] counts = new long[k];
        double[][] pointSums = new double[k][dim];
        List<List<Double>> qualities = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            qualities.add(new ArrayList<>());
        }
        Map<Integer, Long> idOfLabel = new HashMap<>();
        int totalMerged = 0;

        for (int cycle = 1; cycle <= 5; cycle++) {
            DeterministicRandom random = new DeterministicRandom(1000L + cycle);
            List<TrajectorySample> samples = new ArrayList<>(perCycle);
            for (int i = 0; i < perCycle; i++) {
                int label = random.nextInt(k); // unequal cluster sizes
                float[] x = noisyPoint(centres, label, dim, 0.15, random);
                float quality = (float) (0.8 + 0.1 * (random.nextDouble() - 0.5));
                samples.add(TrajectorySample.of(x, quality, "route-" + label));
                counts[label]++;
                qualities.get(label).add((double) quality);
                for (int j = 0; j < dim; j++) {
                    pointSums[label][j] += x[j];
                }
            }

            CycleReport report = BackgroundLearner.runCycle(samples, bank, lora, config, cycle, 500L + cycle);

            assertThat(report.qualified()).isEqualTo(perCycle);
            assertThat(report.extracted()).hasSize(k);
            assertThat(bank.size()).as("bank size after cycle %d", cycle).isEqualTo(k);
            MergeReport merge = report.merge();
            assertThat(merge.inserted()).isEqualTo(cycle == 1 ? k : 0);
            assertThat(merge.merged()).isEqualTo(cycle == 1 ? 0 : k);
            assertThat(merge.rejected()).isZero();
            assertThat(merge.consolidated()).isZero();
            assertThat(merge.evicted()).isZero();
            totalMerged += merge.merged();
            assertThat(totalMerged).isEqualTo((cycle - 1) * k);
            assertThat(report.training().examples()).isZero(); // nobody corrected these requests

            // Each planted cluster owns exactly one pattern, which accumulated all its points.
            Set<Long> ids = new HashSet<>();
            for (int label = 0; label < k; label++) {
                float[] centre = Arrays.copyOfRange(centres, label * dim, (label + 1) * dim);
                Pattern p = bank.findBest(centre).pattern();
                ids.add(p.id());
                if (cycle == 1) {
                    idOfLabel.put(label, p.id());
                }
                assertThat(p.id()).as("label %d keeps its pattern", label).isEqualTo(idOfLabel.get(label));
                assertThat(p.sampleCount()).as("label %d after cycle %d", label, cycle).isEqualTo(counts[label]);
                assertThat(p.route()).isEqualTo("route-" + label);
                assertThat(p.createdCycle()).isEqualTo(1L);
                assertThat(p.updatedCycle()).isEqualTo(cycle);
                double[] stats = meanAndVariance(qualities.get(label));
                assertThat(p.qualityMean()).isCloseTo(stats[0], within(1e-9));
                assertThat(p.qualityVariance()).isCloseTo(stats[1], within(1e-9));
                for (int j = 0; j < dim; j++) {
                    assertThat((double) p.centroid()[j]).isCloseTo(pointSums[label][j] / counts[label], within(1e-4));
                }
            }
            assertThat(ids).hasSize(k);

            // Held-out points map to the pattern of their own cluster.
            DeterministicRandom heldOut = new DeterministicRandom(9000L + cycle);
            int m = 1000;
            int[] planted = new int[m];
            int[] found = new int[m];
            for (int i = 0; i < m; i++) {
                planted[i] = heldOut.nextInt(k);
                found[i] = (int) bank.findBest(noisyPoint(centres, planted[i], dim, 0.15, heldOut)).pattern().id();
            }
            assertThat(Fixtures.adjustedRandIndex(planted, found)).isGreaterThanOrEqualTo(0.95);
        }
    }

    private static float[] noisyPoint(float[] centres, int label, int dim, double sigma, DeterministicRandom random) {
        float[] x = new float[dim];
        for (int j = 0; j < dim; j++) {
            x[j] = centres[label * dim + j] + (float) (sigma * random.nextGaussian());
        }
        return x;
    }

    /** Two-pass population mean and variance. */
    private static double[] meanAndVariance(List<Double> values) {
        double mean = 0;
        for (double v : values) {
            mean += v;
        }
        mean /= values.size();
        double ss = 0;
        for (double v : values) {
            ss += (v - mean) * (v - mean);
        }
        return new double[] {mean, ss / values.size()};
    }

    // ---------------------------------------------------------------- eviction

    @Test
    void evictsTheLeastConfidentAndTheOlderOnATie() {
        int dim = 16;
        ReasoningBankConfig config = new ReasoningBankConfig(4, 0.5f, 0.95f);
        ReasoningBank bank = ReasoningBank.create(dim);

        // Orthogonal centroids: nothing merges. Confidence (1 - sd) * n / (n + 1) with n = 10.
        Pattern a = candidate(basis(dim, 0), 10, 0.0); // 0.909
        Pattern b = candidate(basis(dim, 1), 10, 0.9); // sd 0.3 -> 0.636
        Pattern c = candidate(basis(dim, 2), 10, 0.1); // sd 0.1 -> 0.818
        Pattern d = candidate(basis(dim, 3), 10, 0.4); // sd 0.2 -> 0.727
        assertThat(a.confidence()).isGreaterThan(c.confidence());
        assertThat(c.confidence()).isGreaterThan(d.confidence());
        assertThat(d.confidence()).isGreaterThan(b.confidence());

        MergeReport first = bank.merge(List.of(a, b, c, d), config, 1L);
        assertThat(first).isEqualTo(new MergeReport(4, 0, 0, 0, 0));
        assertThat(ids(bank)).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);

        // e ties with b (id 2); the older one goes.
        Pattern e = candidate(basis(dim, 4), 10, 0.9);
        assertThat(e.confidence()).isEqualTo(b.confidence());
        MergeReport second = bank.merge(List.of(e), config, 2L);
        assertThat(second).isEqualTo(new MergeReport(1, 0, 0, 0, 1));
        assertThat(ids(bank)).containsExactlyInAnyOrder(1L, 3L, 4L, 5L);

        // f (0.545) is itself the least confident and goes at once; then e (0.636).
        Pattern f = candidate(basis(dim, 5), 10, 1.6); // sd 0.4 -> 0.545
        Pattern g = candidate(basis(dim, 6), 100, 0.0); // 0.990
        MergeReport third = bank.merge(List.of(f, g), config, 3L);
        assertThat(third).isEqualTo(new MergeReport(2, 0, 0, 0, 2));
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

    // ---------------------------------------------------------------- consolidation and rejection

    @Test
    void consolidationMergesNearDuplicatesBySampleWeight() {
        int dim = 8;
        float[] c1 = {1f, 0.2f, -0.3f, 0.5f, 0f, 0.1f, 0.7f, -0.2f};
        float[] c2 = c1.clone();
        c2[0] += 0.15f;
        c2[4] -= 0.1f;
        float[] c3 = c1.clone(); // cosine ~0.9 to c1: below the threshold
        c3[1] += 0.7f;
        assertThat(cosine(c1, c2)).isGreaterThanOrEqualTo(0.95);
        assertThat(cosine(c1, c3)).isLessThan(0.95).isGreaterThan(0.85);
        assertThat(cosine(c2, c3)).isLessThan(0.95);

        List<Double> q1 = List.of(0.9, 0.7, 0.8, 0.85, 0.75);
        List<Double> q2 = List.of(0.6, 0.65, 0.95, 0.7, 0.55, 0.9, 0.8, 0.72);
        List<Double> q3 = List.of(0.5, 0.9, 0.7);
        Pattern p1 = fromQualities(2L, c1, q1, "small", Map.of("model", "m1"), Map.of("temp", 0.2, "onlyA", 1.0), 1L);
        Pattern p2 = fromQualities(5L, c2, q2, "big", Map.of("model", "m2"), Map.of("temp", 0.6), 3L);
        Pattern p3 = fromQualities(9L, c3, q3, "other", Map.of(), Map.of(), 2L);
        // bank order puts the higher id first, so "the lower id absorbs" is not just "the first"
        ReasoningBank bank = new ReasoningBank(dim, List.of(p2, p3, p1), 10L);

        assertThat(bank.findBest(c1).pattern()).isEqualTo(p1); // builds the search index

        assertThat(bank.consolidateAll(0.95f, 7L)).isEqualTo(1);
        assertThat(bank.size()).isEqualTo(2);
        assertThat(bank.patterns()).contains(p3);
        Pattern merged = bank.patterns().stream().filter(p -> p.id() == 2L).findFirst().orElseThrow();

        int n1 = q1.size();
        int n2 = q2.size();
        assertThat(merged.sampleCount()).isEqualTo(n1 + n2);
        for (int j = 0; j < dim; j++) {
            double expected = (n1 * (double) c1[j] + n2 * (double) c2[j]) / (n1 + n2);
            assertThat((double) merged.centroid()[j]).isCloseTo(expected, within(1e-6));
        }
        List<Double> all = new ArrayList<>(q1);
        all.addAll(q2);
        double[] pooled = meanAndVariance(all);
        assertThat(merged.qualityMean()).isCloseTo(pooled[0], within(1e-12));
        assertThat(merged.qualityVariance()).isCloseTo(pooled[1], within(1e-12));
        assertThat(merged.numericParams().get("temp")).isCloseTo((n1 * 0.2 + n2 * 0.6) / (n1 + n2), within(1e-12));
        assertThat(merged.numericParams().get("onlyA")).isEqualTo(1.0);
        // route and discrete parameters come from the larger pattern
        assertThat(merged.route()).isEqualTo("big");
        assertThat(merged.discreteParams()).containsExactlyEntriesOf(Map.of("model", "m2"));
        assertThat(merged.createdCycle()).isEqualTo(1L);
        assertThat(merged.updatedCycle()).isEqualTo(7L);
        // search sees the consolidated bank
        SimilarPattern hit = bank.findBest(c1);
        assertThat(hit.pattern()).isEqualTo(merged);
        assertThat((double) hit.similarity()).isCloseTo(cosine(c1, merged.centroid()), within(1e-6));
        assertThat(bank.findSimilar(c1, 5)).hasSize(2);

        // Nothing left above the threshold: a second pass is a no-op.
        assertThat(bank.consolidateAll(0.95f, 8L)).isZero();
        // A lower threshold takes p3 as well, into the lower id.
        assertThat(bank.consolidateAll(0.85f, 9L)).isEqualTo(1);
        assertThat(bank.patterns()).singleElement().satisfies(p -> {
            assertThat(p.id()).isEqualTo(2L);
            assertThat(p.sampleCount()).isEqualTo(n1 + n2 + q3.size());
        });
    }

    @Test
    void consolidationRepeatsUntilNoPairIsLeft() {
        float[] base = {1f, 1f, 1f, 1f};
        List<Pattern> chain = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            float[] c = base.clone();
            c[i % 4] += 0.1f;
            chain.add(pattern(i + 1L, c, i + 1L, 0.0));
        }
        ReasoningBank bank = new ReasoningBank(4, chain, 5L);
        assertThat(bank.consolidateAll(0.95f, 1L)).isEqualTo(3);
        assertThat(bank.patterns()).singleElement().satisfies(p -> {
            assertThat(p.id()).isEqualTo(1L);
            assertThat(p.sampleCount()).isEqualTo(1 + 2 + 3 + 4);
        });
    }

    @Test
    void mergeRejectsUnconfidentCandidatesAndAbsorbsSimilarOnes() {
        int dim = 8;
        ReasoningBankConfig config = new ReasoningBankConfig(100, 0.5f, 0.95f);
        ReasoningBank bank = ReasoningBank.create(dim);

        Pattern atThreshold = candidate(basis(dim, 0), 1, 0.0); // (1 - 0) * 1/2 = 0.5 exactly
        Pattern below = candidate(basis(dim, 1), 2, 0.5); // sd 0.5 -> 0.5 * 2/3 = 0.333
        assertThat(atThreshold.confidence()).isEqualTo(0.5f);
        assertThat(below.confidence()).isLessThan(0.5f);
        MergeReport report = bank.merge(List.of(atThreshold, below), config, 1L);
        assertThat(report).isEqualTo(new MergeReport(1, 0, 1, 0, 0));
        assertThat(bank.size()).isEqualTo(1);
        assertThat(bank.patterns().get(0).centroid()).containsExactly(basis(dim, 0));

        // A similar confident candidate is absorbed into the stored pattern, not stored anew.
        float[] near = basis(dim, 0);
        near[3] = 0.2f; // cosine 0.98
        MergeReport second = bank.merge(List.of(candidate(near, 3, 0.0)), config, 2L);
        assertThat(second).isEqualTo(new MergeReport(0, 1, 0, 0, 0));
        assertThat(bank.patterns()).singleElement().satisfies(p -> {
            assertThat(p.id()).isEqualTo(1L);
            assertThat(p.sampleCount()).isEqualTo(4L);
            assertThat(p.centroid()[3]).isCloseTo(0.15f, within(1e-7f));
        });
        // and search sees the moved centroid
        assertThat(bank.findBest(basis(dim, 3)).similarity())
                .isCloseTo((float) (0.15 / Math.sqrt(1.0225)), within(1e-6f));
    }

    // ---------------------------------------------------------------- helpers

    static Pattern pattern(long id, float[] centroid, long n, double m2) {
        return new Pattern(id, centroid, n, 0.8, m2, "r" + id, Map.of(), Map.of(), 1L, 1L);
    }

    static Pattern candidate(float[] centroid, long n, double m2) {
        return pattern(0L, centroid, n, m2);
    }

    static Pattern fromQualities(
            long id, float[] centroid, List<Double> qualities, String route, Map<String, String> discrete,
            Map<String, Double> numeric, long cycle) {
        double[] stats = meanAndVariance(qualities);
        return new Pattern(id, centroid, qualities.size(), stats[0], stats[1] * qualities.size(), route, discrete,
                numeric, cycle, cycle);
    }
}
