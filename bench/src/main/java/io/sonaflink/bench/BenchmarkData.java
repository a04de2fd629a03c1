package io.sonaflink.bench;

import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.sample.TrajectorySample;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Seeded synthetic data shared by the benchmarks. Everything here is a pure function of its
 * arguments, so every fork of every benchmark sees exactly the same inputs.
 *
 * <p>Embeddings are unit-scale: each coordinate is drawn with standard deviation {@code
 * 1/sqrt(dim)}, so a vector's norm is about 1, as for normalised sentence embeddings. This matters
 * for k-means, whose convergence tolerance is an absolute distance.
 */
public final class BenchmarkData {

    /** Embedding dimension of every benchmark. */
    public static final int DIM = 256;

    /** Trajectories in one background window. */
    public static final int WINDOW = 10_000;

    /** Base seed; each data set derives its own from it. */
    public static final long SEED = 0x5A0AF11AL;

    /** Routes of the synthetic trajectories. */
    static final String[] ROUTES = {"retrieve", "summarise", "answer", "escalate"};

    /** Values of the synthetic discrete parameter {@code strategy}. */
    static final String[] STRATEGIES = {"greedy", "beam", "sample"};

    /** Standard deviation of a trajectory around its planted cluster centre, relative to unit scale. */
    static final double CLUSTER_NOISE = 0.15;

    /** Standard deviation of a trajectory's quality around its cluster's mean quality. */
    static final double QUALITY_NOISE = 0.03;

    /** Share of trajectories that carry a corrective target. */
    static final int TARGET_EVERY = 10;

    /** Rank of the fixed correction map that produces targets. */
    static final int CORRECTION_RANK = 4;

    /** Relative size of the correction {@code U V^T x} next to {@code x}. */
    static final double CORRECTION_SCALE = 0.1;

    private BenchmarkData() {}

    /** A vector with independent N(0, sd^2) coordinates. */
    static float[] gaussian(DeterministicRandom random, int dim, double sd) {
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) (sd * random.nextGaussian());
        }
        return v;
    }

    /** {@code count} unit-scale Gaussian vectors. */
    public static float[][] unitScaleVectors(int count, int dim, long seed) {
        DeterministicRandom random = new DeterministicRandom(seed);
        double sd = 1.0 / Math.sqrt(dim);
        float[][] out = new float[count][];
        for (int i = 0; i < count; i++) {
            out[i] = gaussian(random, dim, sd);
        }
        return out;
    }

    /**
     * A fixed low-rank correction {@code x -> x + U (V^T x)} with {@code U} of shape {@code dim x
     * rank} and {@code V} of shape {@code dim x rank}; the correction is about {@link
     * #CORRECTION_SCALE} of the norm of a unit-scale input. It stands in for "the embedding the
     * request should have had" and is learnable exactly by a LoRA adapter of rank at least {@code
     * rank}.
     */
    public static final class CorrectionMap {

        private final int dim;
        private final int rank;
        private final float[] u; // dim x rank, row-major
        private final float[] v; // dim x rank, row-major

        CorrectionMap(int dim, int rank, long seed) {
            DeterministicRandom random = new DeterministicRandom(seed);
            this.dim = dim;
            this.rank = rank;
            // V^T x has O(1) coordinates for a unit-scale x; U scales them back to a small correction.
            this.v = gaussian(random, dim * rank, 1.0);
            this.u = gaussian(random, dim * rank, CORRECTION_SCALE / Math.sqrt(dim));
        }

        /** {@code x + U V^T x}, freshly allocated. */
        public float[] apply(float[] x) {
            float[] z = new float[rank];
            for (int i = 0; i < dim; i++) {
                for (int r = 0; r < rank; r++) {
                    z[r] += v[i * rank + r] * x[i];
                }
            }
            float[] y = x.clone();
            for (int i = 0; i < dim; i++) {
                float delta = 0f;
                for (int r = 0; r < rank; r++) {
                    delta += u[i * rank + r] * z[r];
                }
                y[i] += delta;
            }
            return y;
        }
    }

    public static CorrectionMap correctionMap(int dim, long seed) {
        return new CorrectionMap(dim, CORRECTION_RANK, seed);
    }

    /** Inputs and targets of corrective events, index-aligned. */
    public record Examples(float[][] inputs, float[][] targets) {

        public int size() {
            return inputs.length;
        }
    }

    /**
     * {@code count} corrective events for the instant loop: unit-scale inputs and, as targets,
     * the fixed correction of each input plus a little unexplained noise.
     */
    public static Examples correctiveEvents(int count, int dim, long seed) {
        DeterministicRandom random = new DeterministicRandom(seed);
        CorrectionMap map = correctionMap(dim, DeterministicRandom.mix(seed + 1));
        double sd = 1.0 / Math.sqrt(dim);
        float[][] inputs = new float[count][];
        float[][] targets = new float[count][];
        for (int i = 0; i < count; i++) {
            inputs[i] = gaussian(random, dim, sd);
            float[] target = map.apply(inputs[i]);
            for (int j = 0; j < dim; j++) {
                target[j] += (float) (0.01 * sd * random.nextGaussian());
            }
            targets[i] = target;
        }
        return new Examples(inputs, targets);
    }

    /**
     * {@code count} confident, mutually dissimilar patterns: independent Gaussian centroids (in 256
     * dimensions their pairwise cosine is about N(0, 1/256)), 50 samples each, quality 0.8 with standard deviation 0.05 (confidence about 0.93).
     */
    public static List<Pattern> separatedPatterns(int count, int dim, long seed) {
        float[][] centroids = unitScaleVectors(count, dim, seed);
        List<Pattern> patterns = new ArrayList<>(count);
        long samples = 50;
        double sd = 0.05;
        for (int i = 0; i < count; i++) {
            patterns.add(new Pattern(
                    0L,
                    centroids[i],
                    samples,
                    0.8,
                    samples * sd * sd,
                    ROUTES[i % ROUTES.length],
                    Map.of("strategy", STRATEGIES[i % STRATEGIES.length]),
                    Map.of("temperature", 0.1 * (i % 10)),
                    1L,
                    1L));
        }
        return patterns;
    }

    /** A bank holding exactly {@code count} patterns of {@link #separatedPatterns}. */
    public static ReasoningBank patternBank(int count, int dim, long seed) {
        ReasoningBank bank = ReasoningBank.create(dim);
        for (Pattern p : separatedPatterns(count, dim, seed)) {
            bank.add(p);
        }
        if (bank.size() != count) {
            throw new IllegalStateException("expected a bank of " + count + " patterns, got " + bank.size());
        }
        return bank;
    }

    /**
     * {@code count} queries, each a random stored centroid plus noise of half its scale, so that
     * the nearest pattern varies from query to query.
     */
    public static float[][] queriesNear(ReasoningBank bank, int count, long seed) {
        DeterministicRandom random = new DeterministicRandom(seed);
        List<Pattern> patterns = bank.patterns();
        int dim = bank.dim();
        double sd = 0.5 / Math.sqrt(dim);
        float[][] queries = new float[count][];
        for (int i = 0; i < count; i++) {
            float[] centre = patterns.get(random.nextInt(patterns.size())).centroid();
            float[] q = gaussian(random, dim, sd);
            for (int j = 0; j < dim; j++) {
                q[j] += centre[j];
            }
            queries[i] = q;
        }
        return queries;
    }

    /**
     * {@code n} trajectories drawn from {@code clusters} planted Gaussian clusters.
     *
     * <ul>
     *   <li>Cluster centres are unit-scale Gaussian vectors (pairwise distance about 1.41); each
     *       trajectory is its centre plus noise of {@link #CLUSTER_NOISE} of that scale (distance
     *       to the centre about 0.15), so the clusters are well separated.
     *   <li>Each cluster has a mean quality uniform in [0.5, 0.9]; a trajectory's quality is that
     *       plus N(0, {@link #QUALITY_NOISE}^2), clamped to [0.4, 1.0]. All pass the default 0.3
     *       quality threshold and every cluster's pattern is confident enough to be stored.
     *   <li>Each cluster has a dominant route (85% of its trajectories; the rest pick one of
     *       {@link #ROUTES} at random), a discrete {@code strategy} and a numeric {@code
     *       temperature}.
     *   <li>Every {@link #TARGET_EVERY}th trajectory carries a target: the fixed {@link
     *       CorrectionMap} applied to its embedding.
     * </ul>
     */
    public static List<TrajectorySample> plantedTrajectories(int n, int dim, int clusters, long seed) {
        DeterministicRandom random = new DeterministicRandom(seed);
        CorrectionMap map = correctionMap(dim, DeterministicRandom.mix(seed + 1));
        double centreSd = 1.0 / Math.sqrt(dim);
        double noiseSd = CLUSTER_NOISE * centreSd;
        float[][] centres = new float[clusters][];
        double[] qualityMeans = new double[clusters];
        for (int c = 0; c < clusters; c++) {
            centres[c] = gaussian(random, dim, centreSd);
            qualityMeans[c] = 0.5 + 0.4 * random.nextDouble();
        }
        List<TrajectorySample> samples = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int c = random.nextInt(clusters);
            float[] embedding = gaussian(random, dim, noiseSd);
            for (int j = 0; j < dim; j++) {
                embedding[j] += centres[c][j];
            }
            double quality = qualityMeans[c] + QUALITY_NOISE * random.nextGaussian();
            quality = Math.max(0.4, Math.min(1.0, quality));
            String route = random.nextDouble() < 0.85
                    ? ROUTES[c % ROUTES.length]
                    : ROUTES[random.nextInt(ROUTES.length)];
            float[] target = i % TARGET_EVERY == 0 ? map.apply(embedding) : null;
            samples.add(new TrajectorySample(
                    embedding,
                    target,
                    1f,
                    (float) quality,
                    route,
                    Map.of("strategy", STRATEGIES[c % STRATEGIES.length]),
                    Map.of("temperature", 0.2 + 0.05 * (c % 10) + 0.01 * random.nextGaussian())));
        }
        return samples;
    }

    /** The embeddings of {@code samples} as one row-major {@code n x dim} array. */
    public static float[] embeddingMatrix(List<TrajectorySample> samples, int dim) {
        float[] data = new float[samples.size() * dim];
        for (int i = 0; i < samples.size(); i++) {
            System.arraycopy(samples.get(i).embedding(), 0, data, i * dim, dim);
        }
        return data;
    }
}
