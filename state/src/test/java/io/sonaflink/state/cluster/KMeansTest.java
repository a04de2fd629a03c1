package io.sonaflink.state.cluster;

import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.testing.Fixtures;
import io.sonaflink.state.testing.Fixtures.PlantedClusters;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class KMeansTest {

    @Test
    void recoversPlantedClusters() {
        PlantedClusters planted = Fixtures.plantedClusters(10_000, 256, 20, 1.0, 0.15, new DeterministicRandom(1));
        KMeansResult result = KMeans.cluster(planted.data(), planted.n(), planted.dim(), 20, KMeansConfig.DEFAULT, 42L);

        assertThat(Fixtures.adjustedRandIndex(planted.labels(), result.assignments())).isGreaterThanOrEqualTo(0.99);
        assertThat(result.converged()).isTrue();
        assertThat(result.sizes()).hasSize(20).doesNotContain(0);
    }

    /**
     * Conditional on the first centre, the second is drawn with probability D(x)^2 / sum D^2.
     * Points at distance 1, sqrt 2 and sqrt 3 from the first give 1/6, 2/6, 3/6; uniform seeding
     * would give 1/3 each, farthest-first always the last.
     */
    @Test
    void seedingFollowsD2Sampling() {
        float[] data = {0f, 1f, (float) Math.sqrt(2), (float) Math.sqrt(3)};
        double[][] expected = new double[4][4];
        for (int first = 0; first < 4; first++) {
            double total = 0;
            for (int j = 0; j < 4; j++) {
                total += (data[j] - data[first]) * (data[j] - data[first]);
            }
            for (int j = 0; j < 4; j++) {
                expected[first][j] = (data[j] - data[first]) * (data[j] - data[first]) / total;
            }
        }
        long[][] counts = new long[4][4];
        long[] firsts = new long[4];
        DeterministicRandom random = new DeterministicRandom(2024);
        int trials = 20_000;
        for (int t = 0; t < trials; t++) {
            float[] centres = KMeans.seed(data, 4, 1, 2, 1, random);
            int first = indexOf(data, centres[0]);
            firsts[first]++;
            counts[first][indexOf(data, centres[1])]++;
        }
        // First centre: uniform. Chi-square, 3 degrees of freedom, 0.999 quantile 16.27.
        assertThat(Fixtures.chiSquare(firsts, new double[] {0.25, 0.25, 0.25, 0.25})).isLessThan(16.27);
        for (int first = 0; first < 4; first++) {
            long[] observed = new long[3];
            double[] probability = new double[3];
            int o = 0;
            for (int j = 0; j < 4; j++) {
                if (j != first) {
                    assertThat(expected[first][j]).isPositive();
                    observed[o] = counts[first][j];
                    probability[o++] = expected[first][j];
                }
            }
            assertThat(counts[first][first]).isZero();
            // 2 degrees of freedom, 0.999 quantile 13.82
            assertThat(Fixtures.chiSquare(observed, probability)).as("given first centre %d", first).isLessThan(13.82);
        }
    }

    /** Hamerly's bounds must not change the outcome: compare with textbook Lloyd from the same seeds. */
    @Test
    void equalsPlainLloydFromTheSameSeeding() {
        DeterministicRandom random = new DeterministicRandom(5);
        // overlapping clusters so that many points change cluster across iterations
        PlantedClusters planted = Fixtures.plantedClusters(3000, 16, 12, 1.0, 0.8, random);
        int k = 12;
        KMeansResult fast = KMeans.cluster(planted.data(), planted.n(), planted.dim(), k, new KMeansConfig(100, 0f), 9L);
        float[] centres = KMeans.seed(
                planted.data(), planted.n(), planted.dim(), k, KMeans.defaultLocalTrials(k), new DeterministicRandom(9L));
        int[] reference = plainLloyd(planted.data(), planted.n(), planted.dim(), k, centres, fast.iterations());

        int differing = 0;
        for (int i = 0; i < planted.n(); i++) {
            if (reference[i] != fast.assignments()[i]) {
                differing++;
            }
        }
        assertThat(fast.iterations()).isGreaterThan(3);
        assertThat(differing).isZero();
    }

    @Test
    void fewerDistinctPointsThanKGiveFewerClusters() {
        float[] data = {1f, 1f, 1f, 1f, 5f, 5f, 5f, 5f}; // 4 points of dim 2, two distinct
        KMeansResult result = KMeans.cluster(data, 4, 2, 3, KMeansConfig.DEFAULT, 1L);
        assertThat(result.k()).isEqualTo(2);
        assertThat(result.inertia()).isZero();
        assertThat(result.assignments()[0]).isEqualTo(result.assignments()[1]);
        assertThat(result.assignments()[2]).isEqualTo(result.assignments()[3]);
        assertThat(result.assignments()[0]).isNotEqualTo(result.assignments()[2]);
    }

    @Test
    void emptyClusterIsRepairedWithTheFarthestPoint() {
        // Deterministic check of the repair itself: with k equal to the distinct points, every
        // cluster must end non-empty even from duplicated seeds.
        DeterministicRandom random = new DeterministicRandom(3);
        PlantedClusters planted = Fixtures.plantedClusters(400, 8, 4, 5.0, 0.1, random);
        for (long seed = 0; seed < 20; seed++) {
            KMeansResult result = KMeans.cluster(planted.data(), planted.n(), planted.dim(), 8, KMeansConfig.DEFAULT, seed);
            assertThat(result.sizes()).as("seed %d", seed).doesNotContain(0);
        }
    }

    @Test
    void sameSeedSameResult() {
        PlantedClusters planted = Fixtures.plantedClusters(1000, 32, 5, 1.0, 0.5, new DeterministicRandom(8));
        KMeansResult a = KMeans.cluster(planted.data(), planted.n(), planted.dim(), 5, KMeansConfig.DEFAULT, 77L);
        KMeansResult b = KMeans.cluster(planted.data(), planted.n(), planted.dim(), 5, KMeansConfig.DEFAULT, 77L);
        assertThat(a.assignments()).containsExactly(b.assignments());
        assertThat(a.centroids()).containsExactly(b.centroids());
    }

    private static int[] plainLloyd(float[] data, int n, int dim, int k, float[] centres, int iterations) {
        int[] assignment = new int[n];
        for (int it = 0; it <= iterations; it++) {
            for (int i = 0; i < n; i++) {
                double best = Double.MAX_VALUE;
                for (int c = 0; c < k; c++) {
                    double d = 0;
                    for (int j = 0; j < dim; j++) {
                        double diff = data[i * dim + j] - centres[c * dim + j];
                        d += diff * diff;
                    }
                    if (d < best) {
                        best = d;
                        assignment[i] = c;
                    }
                }
            }
            if (it == iterations) {
                break;
            }
            double[] sums = new double[k * dim];
            int[] sizes = new int[k];
            for (int i = 0; i < n; i++) {
                sizes[assignment[i]]++;
                for (int j = 0; j < dim; j++) {
                    sums[assignment[i] * dim + j] += data[i * dim + j];
                }
            }
            for (int c = 0; c < k; c++) {
                for (int j = 0; j < dim; j++) {
                    centres[c * dim + j] = (float) (sums[c * dim + j] / sizes[c]);
                }
            }
        }
        return assignment;
    }

    private static int indexOf(float[] data, float value) {
        for (int i = 0; i < data.length; i++) {
            if (data[i] == value) {
                return i;
            }
        }
        throw new AssertionError("not a data point: " + value);
    }


    @Test
    void refineFromGivenCentresKeepsTheirOrder() {
        PlantedClusters planted = Fixtures.plantedClusters(4000, 64, 20, 1.0, 0.15, new DeterministicRandom(3));
        KMeansResult result = KMeans.refine(planted.data(), planted.n(), planted.dim(), planted.centres(), 20, 0,
                KMeansConfig.DEFAULT, 1L);

        assertThat(result.assignments()).isEqualTo(planted.labels());
        assertThat(result.converged()).isTrue();
    }

    /** Clusters the given centres do not cover get the extra centres; covered ones keep theirs. */
    @Test
    void refineSeedsTheUncoveredClusters() {
        PlantedClusters planted = Fixtures.plantedClusters(4000, 64, 20, 1.0, 0.15, new DeterministicRandom(4));
        KMeansResult result = KMeans.refine(planted.data(), planted.n(), planted.dim(), planted.centres(), 15, 5,
                KMeansConfig.DEFAULT, 2L);

        assertThat(result.k()).isEqualTo(20);
        assertThat(Fixtures.adjustedRandIndex(planted.labels(), result.assignments())).isGreaterThanOrEqualTo(0.99);
        for (int i = 0; i < planted.n(); i++) {
            if (planted.labels()[i] < 15) {
                assertThat(result.assignments()[i]).isEqualTo(planted.labels()[i]);
            }
        }
    }

    /** A given centre nobody is near stays empty where it was: a stored pattern is not turned into an outlier's. */
    @Test
    void refineLeavesAGivenCentreNobodyIsNearEmpty() {
        PlantedClusters planted = Fixtures.plantedClusters(1000, 8, 4, 1.0, 0.1, new DeterministicRandom(5));
        float[] initial = Arrays.copyOf(planted.centres(), 5 * 8);
        initial[4 * 8] = 100f;
        KMeansResult result = KMeans.refine(planted.data(), planted.n(), planted.dim(), initial, 5, 0,
                KMeansConfig.DEFAULT, 3L);

        assertThat(result.sizes()[4]).isZero();
        assertThat(Arrays.copyOfRange(result.centroids(), 4 * 8, 5 * 8))
                .containsExactly(Arrays.copyOfRange(initial, 4 * 8, 5 * 8));
        assertThat(Fixtures.adjustedRandIndex(planted.labels(), result.assignments())).isEqualTo(1.0);
    }
}
