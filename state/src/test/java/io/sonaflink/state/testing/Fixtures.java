package io.sonaflink.state.testing;

import io.sonaflink.state.math.DeterministicRandom;

import java.util.HashMap;
import java.util.Map;

/** Seeded synthetic data and independent reference computations for the learning-core tests. */
public final class Fixtures {

    private Fixtures() {}

    /** Row-major {@code rows x cols} matrix of N(0, sigma^2) entries. */
    public static float[] gaussian(int rows, int cols, double sigma, DeterministicRandom random) {
        float[] m = new float[rows * cols];
        for (int i = 0; i < m.length; i++) {
            m[i] = (float) (sigma * random.nextGaussian());
        }
        return m;
    }

    public static float[] gaussianVector(int dim, double sigma, DeterministicRandom random) {
        return gaussian(1, dim, sigma, random);
    }

    /** Points drawn around {@code clusters} Gaussian centres; labels tell each point's centre. */
    public record PlantedClusters(float[] data, int n, int dim, int[] labels, float[] centres, int clusters) {

        public float[] point(int i) {
            float[] p = new float[dim];
            System.arraycopy(data, i * dim, p, 0, dim);
            return p;
        }

        public float[] centre(int c) {
            float[] p = new float[dim];
            System.arraycopy(centres, c * dim, p, 0, dim);
            return p;
        }
    }

    /**
     * {@code n} points around {@code clusters} centres drawn N(0, centreSigma^2) per coordinate,
     * each point its centre plus N(0, noiseSigma^2) noise; points are assigned round-robin.
     */
    public static PlantedClusters plantedClusters(
            int n, int dim, int clusters, double centreSigma, double noiseSigma, DeterministicRandom random) {
        float[] centres = gaussian(clusters, dim, centreSigma, random);
        float[] data = new float[n * dim];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int c = i % clusters;
            labels[i] = c;
            for (int j = 0; j < dim; j++) {
                data[i * dim + j] = centres[c * dim + j] + (float) (noiseSigma * random.nextGaussian());
            }
        }
        return new PlantedClusters(data, n, dim, labels, centres, clusters);
    }

    /** Adjusted Rand index of two labelings (Hubert and Arabie, 1985). */
    public static double adjustedRandIndex(int[] a, int[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("labelings differ in length");
        }
        Map<Long, Long> joint = new HashMap<>();
        Map<Integer, Long> rows = new HashMap<>();
        Map<Integer, Long> cols = new HashMap<>();
        for (int i = 0; i < a.length; i++) {
            joint.merge(((long) a[i] << 32) | (b[i] & 0xFFFFFFFFL), 1L, Long::sum);
            rows.merge(a[i], 1L, Long::sum);
            cols.merge(b[i], 1L, Long::sum);
        }
        double index = 0;
        for (long v : joint.values()) {
            index += choose2(v);
        }
        double sumRows = 0;
        for (long v : rows.values()) {
            sumRows += choose2(v);
        }
        double sumCols = 0;
        for (long v : cols.values()) {
            sumCols += choose2(v);
        }
        double expected = sumRows * sumCols / choose2(a.length);
        double max = 0.5 * (sumRows + sumCols);
        return max == expected ? 1.0 : (index - expected) / (max - expected);
    }

    private static double choose2(long n) {
        return n * (n - 1) / 2.0;
    }

    /** {@code y = x + U (V^T x)} for row-major {@code dim x rank} U and V. */
    public static float[] applyLowRank(float[] x, float[] u, float[] v, int rank) {
        int dim = x.length;
        double[] h = new double[rank];
        for (int k = 0; k < rank; k++) {
            for (int j = 0; j < dim; j++) {
                h[k] += (double) v[j * rank + k] * x[j];
            }
        }
        float[] y = x.clone();
        for (int i = 0; i < dim; i++) {
            double s = 0;
            for (int k = 0; k < rank; k++) {
                s += u[i * rank + k] * h[k];
            }
            y[i] += (float) s;
        }
        return y;
    }

    /** Chi-square statistic of observed counts against expected probabilities. */
    public static double chiSquare(long[] observed, double[] expectedProbability) {
        long total = 0;
        for (long o : observed) {
            total += o;
        }
        double chi = 0;
        for (int i = 0; i < observed.length; i++) {
            double e = expectedProbability[i] * total;
            chi += (observed[i] - e) * (observed[i] - e) / e;
        }
        return chi;
    }
}
