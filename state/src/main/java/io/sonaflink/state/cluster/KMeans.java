package io.sonaflink.state.cluster;

import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.math.Vectors;

import java.util.Arrays;

/**
 * k-means++ seeding (Arthur and Vassilvitskii, 2007) followed by exact Lloyd iterations, on a
 * row-major {@code n x dim} {@code float[]}.
 *
 * <ul>
 *   <li><b>Seeding</b> is true D² sampling with a seeded generator over all points: the first
 *       centre is uniform, each next centre is drawn with probability proportional to its squared
 *       distance to the nearest chosen centre. The greedy variant draws {@link
 *       #defaultLocalTrials} candidates and keeps the one that lowers the total squared distance
 *       of an evaluation sample most. The nearest distances are kept in an array and updated once
 *       per chosen centre, so seeding is O(n·k·d) (not the seed's O(n·k²·d)); a point is skipped
 *       when the triangle inequality proves the new centre cannot be nearer, which changes nothing
 *       in the result.
 *   <li><b>Lloyd</b> uses Hamerly's bounds (2010), warm-started from the seeding's exact nearest
 *       distances, to skip points whose nearest centre cannot have changed; the remaining points
 *       are assigned with one vectorised dot-product sweep over all centres ({@code ||x||² +
 *       ||c||² - 2x·c}). The result equals plain Lloyd's from the same seeds.
 *   <li><b>Empty clusters</b> take the point farthest from its own centre, a standard repair
 *       that keeps {@code k} clusters.
 * </ul>
 */
public final class KMeans {

    private KMeans() {}

    public static KMeansResult cluster(float[] data, int n, int dim, int k, KMeansConfig config, long seed) {
        if (n <= 0 || dim <= 0 || k <= 0) {
            throw new IllegalArgumentException("n, dim and k must be positive: " + n + ", " + dim + ", " + k);
        }
        if (data.length < n * dim) {
            throw new IllegalArgumentException("data holds fewer than n x dim values");
        }
        int kSeed = Math.min(k, n);
        Seeding seeding = new Seeding(data, n, dim, kSeed);
        seeding.run(defaultLocalTrials(kSeed), new DeterministicRandom(seed));
        return lloyd(data, n, dim, seeding, config, true);
    }

    /**
     * Lloyd from {@code initialCount} given centres (row-major in {@code initial}) plus up to
     * {@code extraSeeds} greedy k-means++ centres drawn against them (D² to the nearest given or
     * chosen centre): a clustering that refines an earlier one and adds centres where the data is
     * not covered. Unlike {@link #cluster}, an empty cluster stays empty and keeps its centre: a
     * given centre nobody is near this time is not turned into a one-point cluster.
     */
    public static KMeansResult refine(float[] data, int n, int dim, float[] initial, int initialCount, int extraSeeds,
            KMeansConfig config, long seed) {
        if (n <= 0 || dim <= 0 || initialCount < 0 || extraSeeds < 0 || initialCount + extraSeeds <= 0) {
            throw new IllegalArgumentException("need points and at least one centre");
        }
        if (initial.length < initialCount * dim || data.length < n * dim) {
            throw new IllegalArgumentException("data or initial centres hold fewer values than their sizes");
        }
        int k = initialCount + Math.min(extraSeeds, n);
        Seeding seeding = new Seeding(data, n, dim, k);
        DeterministicRandom random = new DeterministicRandom(seed);
        double total = initialCount > 0 ? seeding.startWith(initial, 0) : seeding.startWith(data, random.nextInt(n) * dim);
        for (int c = 1; c < initialCount; c++) {
            total = seeding.addCentre(initial, c * dim);
        }
        seeding.grow(total, defaultLocalTrials(k), random);
        return lloyd(data, n, dim, seeding, config, false);
    }

    /**
     * {@code 2 + floor(ln k)} candidates per centre, as in scikit-learn: plain k-means++ often
     * lets two centres share one of many well-separated clusters (points of covered clusters keep
     * a sizeable share of the D² mass in high dimensions), and Lloyd cannot undo that.
     */
    public static int defaultLocalTrials(int k) {
        return 2 + (int) Math.log(k);
    }

    /** Points on which greedy candidates are compared: enough for every cluster to be seen. */
    static int evaluationSampleSize(int n, int k) {
        return Math.min(n, 256 + 4 * k);
    }

    /**
     * k-means++ seeding with {@code localTrials} D²-drawn candidates per centre (one trial is the
     * original algorithm). Returns {@code k' x dim} centres, {@code k' <= k}: fewer only when the
     * data has fewer than {@code k} distinct points.
     */
    public static float[] seed(float[] data, int n, int dim, int k, int localTrials, DeterministicRandom random) {
        Seeding seeding = new Seeding(data, n, dim, k);
        seeding.run(localTrials, random);
        return seeding.chosen == k ? seeding.centers : Arrays.copyOf(seeding.centers, seeding.chosen * dim);
    }

    /** Index {@code i} drawn with probability {@code weights[i] / total}. */
    static int sampleProportional(float[] weights, double total, DeterministicRandom random) {
        double target = random.nextDouble() * total;
        double cumulative = 0.0;
        int last = -1;
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] > 0f) {
                cumulative += weights[i];
                last = i;
                if (cumulative > target) {
                    return i;
                }
            }
        }
        return last; // rounding left target at the very end
    }

    /**
     * Seeding state: the chosen centres and, per point, its nearest centre, the exact squared
     * distance to it, and a lower bound on the squared distance to every other centre (which
     * warm-starts Hamerly's bounds in Lloyd).
     */
    private static final class Seeding {
        final float[] data;
        final int n;
        final int dim;
        final int k;
        final float[] centers;
        final float[] minDist;
        final float[] secondLower;
        final int[] nearest;
        final float[] centerDist;
        int chosen;

        Seeding(float[] data, int n, int dim, int k) {
            this.data = data;
            this.n = n;
            this.dim = dim;
            this.k = k;
            this.centers = new float[k * dim];
            this.minDist = new float[n];
            this.secondLower = new float[n];
            this.nearest = new int[n];
            this.centerDist = new float[k];
        }

        void run(int localTrials, DeterministicRandom random) {
            if (localTrials < 1) {
                throw new IllegalArgumentException("localTrials must be positive: " + localTrials);
            }
            grow(startWith(data, random.nextInt(n) * dim), localTrials, random);
        }

        /** Makes {@code src[off .. off + dim)} the first centre; returns the total squared distance. */
        double startWith(float[] src, int off) {
            System.arraycopy(src, off, centers, 0, dim);
            double total = 0.0;
            for (int i = 0; i < n; i++) {
                minDist[i] = Vectors.squaredDistance(data, i * dim, centers, 0, dim);
                total += minDist[i];
            }
            Arrays.fill(secondLower, Float.POSITIVE_INFINITY);
            Arrays.fill(nearest, 0);
            chosen = 1;
            return total;
        }

        /** Greedy D² seeding of the remaining centres, from the current total squared distance. */
        void grow(double total, int localTrials, DeterministicRandom random) {
            if (chosen >= k) {
                return;
            }
            int[] sample = localTrials > 1 ? sampleIndices(evaluationSampleSize(n, k), random) : null;
            while (chosen < k && total > 0.0) {
                int next = sampleProportional(minDist, total, random);
                if (sample != null) {
                    double best = potentialWith(next, sample);
                    for (int trial = 1; trial < localTrials; trial++) {
                        int candidate = sampleProportional(minDist, total, random);
                        double potential = potentialWith(candidate, sample);
                        if (potential < best) {
                            best = potential;
                            next = candidate;
                        }
                    }
                }
                total = addCentre(data, next * dim);
            }
        }

        /** Adds {@code src[off .. off + dim)} as the next centre; updates distances and bounds; returns the new total. */
        double addCentre(float[] src, int off) {
            int cOff = chosen * dim;
            System.arraycopy(src, off, centers, cOff, dim);
            centerDistances(cOff);
            double total = 0.0;
            for (int i = 0; i < n; i++) {
                float m = minDist[i];
                float cd = centerDist[nearest[i]];
                if (cd >= 4f * m) {
                    // d(x, new) >= d(new, c) - d(x, c): keep it as a lower bound for Lloyd
                    float gap = (float) (Math.sqrt(cd) - Math.sqrt(m));
                    secondLower[i] = Math.min(secondLower[i], gap * gap);
                } else {
                    float d = Vectors.squaredDistance(data, i * dim, centers, cOff, dim);
                    if (d < m) {
                        secondLower[i] = Math.min(secondLower[i], m);
                        minDist[i] = d;
                        nearest[i] = chosen;
                    } else {
                        secondLower[i] = Math.min(secondLower[i], d);
                    }
                }
                total += minDist[i];
            }
            chosen++;
            return total;
        }

        /** Sum over {@code sample} of the squared distance to the nearest centre if {@code candidate} were added. */
        private double potentialWith(int candidate, int[] sample) {
            int cOff = candidate * dim;
            for (int j = 0; j < chosen; j++) {
                centerDist[j] = Vectors.squaredDistance(centers, j * dim, data, cOff, dim);
            }
            double total = 0.0;
            for (int i : sample) {
                float m = minDist[i];
                if (centerDist[nearest[i]] < 4f * m) {
                    m = Math.min(m, Vectors.squaredDistance(data, i * dim, data, cOff, dim));
                }
                total += m;
            }
            return total;
        }

        private void centerDistances(int cOff) {
            for (int j = 0; j < chosen; j++) {
                centerDist[j] = Vectors.squaredDistance(centers, j * dim, centers, cOff, dim);
            }
        }

        /** {@code m} distinct indices in [0, n), uniformly (partial Fisher-Yates), or all when m == n. */
        private int[] sampleIndices(int m, DeterministicRandom random) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            if (m == n) {
                return all;
            }
            for (int i = 0; i < m; i++) {
                int j = i + random.nextInt(n - i);
                int t = all[i];
                all[i] = all[j];
                all[j] = t;
            }
            return Arrays.copyOf(all, m);
        }
    }

    private static KMeansResult lloyd(float[] data, int n, int dim, Seeding seeding, KMeansConfig config,
            boolean repairEmpty) {
        int k = seeding.chosen;
        float[] centroids = seeding.chosen == seeding.k
                ? seeding.centers : Arrays.copyOf(seeding.centers, k * dim);
        int[] assignment = seeding.nearest;
        float[] upper = new float[n];
        float[] lower = new float[n];
        for (int i = 0; i < n; i++) {
            upper[i] = (float) Math.sqrt(seeding.minDist[i]);
            lower[i] = (float) Math.sqrt(seeding.secondLower[i]);
        }
        float[] pointNorms = new float[n];
        for (int i = 0; i < n; i++) {
            pointNorms[i] = Vectors.squaredNorm(data, i * dim, dim);
        }
        Centres centres = new Centres(k, dim);
        float[] moved = new float[k];
        double[] sums = new double[k * dim];
        int[] sizes = new int[k];

        int iterations = 0;
        boolean converged = false;
        while (iterations < config.maxIterations() && k > 1) {
            iterations++;
            float maxShift = updateCentroids(data, n, dim, k, centroids, assignment, upper, lower, sums, sizes, moved,
                    repairEmpty);
            converged = maxShift <= config.tolerance();
            if (maxShift == 0f) {
                break;
            }
            centres.prepare(centroids);
            float maxMoved = 0f;
            float secondMoved = 0f;
            int maxMovedIndex = -1;
            for (int c = 0; c < k; c++) {
                if (moved[c] > maxMoved) {
                    secondMoved = maxMoved;
                    maxMoved = moved[c];
                    maxMovedIndex = c;
                } else if (moved[c] > secondMoved) {
                    secondMoved = moved[c];
                }
            }
            for (int i = 0; i < n; i++) {
                int a = assignment[i];
                upper[i] += moved[a];
                lower[i] -= (a == maxMovedIndex) ? secondMoved : maxMoved;
                float bound = Math.max(centres.halfNearest[a], lower[i]);
                if (upper[i] <= bound) {
                    continue;
                }
                upper[i] = (float) Math.sqrt(Vectors.squaredDistance(data, i * dim, centroids, a * dim, dim));
                if (upper[i] <= bound) {
                    continue;
                }
                centres.assign(data, i, pointNorms[i], centroids, assignment, upper, lower);
            }
            if (converged) {
                break;
            }
        }
        if (k == 1) {
            converged = true;
            Arrays.fill(assignment, 0);
            updateCentroids(data, n, dim, k, centroids, assignment, upper, lower, sums, sizes, moved, repairEmpty);
        }
        Arrays.fill(sizes, 0);
        double inertia = 0.0;
        for (int i = 0; i < n; i++) {
            sizes[assignment[i]]++;
            inertia += Vectors.squaredDistance(data, i * dim, centroids, assignment[i] * dim, dim);
        }
        return new KMeansResult(centroids, k, dim, assignment, sizes, iterations, converged, inertia);
    }

    /** Per-iteration view of the centroids used for full re-assignment. */
    private static final class Centres {
        final int k;
        final int dim;
        final float[] norms;
        final float[] halfNearest;
        final float[] dots;
        float[][] rows;
        float maxNorm;

        Centres(int k, int dim) {
            this.k = k;
            this.dim = dim;
            this.norms = new float[k];
            this.halfNearest = new float[k];
            this.dots = new float[k];
        }

        void prepare(float[] centroids) {
            rows = Vectors.transposeToRows(centroids, k, dim, k);
            maxNorm = 0f;
            for (int c = 0; c < k; c++) {
                norms[c] = Vectors.squaredNorm(centroids, c * dim, dim);
                maxNorm = Math.max(maxNorm, norms[c]);
            }
            for (int c = 0; c < k; c++) {
                float nearest = Float.POSITIVE_INFINITY;
                for (int o = 0; o < k; o++) {
                    if (o != c) {
                        nearest = Math.min(nearest, Vectors.squaredDistance(centroids, c * dim, centroids, o * dim, dim));
                    }
                }
                halfNearest[c] = 0.5f * (float) Math.sqrt(nearest);
            }
        }

        /** Exact nearest and second-nearest centre of point {@code i}; sets its bounds. */
        void assign(float[] data, int i, float pointNorm, float[] centroids, int[] assignment, float[] upper, float[] lower) {
            Vectors.dotAll(data, i * dim, rows, k, dots);
            float best = Float.POSITIVE_INFINITY;
            float second = Float.POSITIVE_INFINITY;
            int bestIndex = 0;
            for (int c = 0; c < k; c++) {
                float d = pointNorm + norms[c] - 2f * dots[c];
                if (d < best) {
                    second = best;
                    best = d;
                    bestIndex = c;
                } else if (d < second) {
                    second = d;
                }
            }
            assignment[i] = bestIndex;
            // ||x||^2 + ||c||^2 - 2x.c loses precision far from the origin: the upper bound is taken
            // exactly and the lower bound is lowered by the expansion's rounding error.
            upper[i] = (float) Math.sqrt(Vectors.squaredDistance(data, i * dim, centroids, bestIndex * dim, dim));
            float roundingError = 1e-5f * (pointNorm + maxNorm);
            lower[i] = (float) Math.sqrt(Math.max(second - roundingError, 0f));
        }
    }

    /** Moves each centroid to its members' mean; repairs empty clusters if asked. Returns the largest move. */
    private static float updateCentroids(
            float[] data, int n, int dim, int k, float[] centroids, int[] assignment, float[] upper,
            float[] lower, double[] sums, int[] sizes, float[] moved, boolean repairEmpty) {
        Arrays.fill(sums, 0.0);
        Arrays.fill(sizes, 0);
        for (int i = 0; i < n; i++) {
            int a = assignment[i];
            sizes[a]++;
            int off = a * dim;
            int xOff = i * dim;
            for (int j = 0; j < dim; j++) {
                sums[off + j] += data[xOff + j];
            }
        }
        for (int c = 0; c < k && repairEmpty; c++) {
            if (sizes[c] == 0) {
                int donor = farthestPointOfSharedCluster(n, assignment, upper, sizes);
                if (donor < 0) {
                    continue;
                }
                // Move the donor: its old cluster loses it, this one gains it.
                int from = assignment[donor];
                sizes[from]--;
                int fOff = from * dim;
                int off = c * dim;
                for (int j = 0; j < dim; j++) {
                    sums[fOff + j] -= data[donor * dim + j];
                    sums[off + j] = data[donor * dim + j];
                }
                sizes[c] = 1;
                assignment[donor] = c;
                upper[donor] = 0f;
                lower[donor] = 0f; // its second-nearest centre is unknown now: force a full re-scan
            }
        }
        float maxShift = 0f;
        float[] updated = new float[dim];
        for (int c = 0; c < k; c++) {
            if (sizes[c] == 0) {
                moved[c] = 0f; // empty and not repaired: the centre stays where it was
                continue;
            }
            int off = c * dim;
            double inv = 1.0 / sizes[c];
            for (int j = 0; j < dim; j++) {
                updated[j] = (float) (sums[off + j] * inv);
            }
            float shift = (float) Math.sqrt(Vectors.squaredDistance(updated, 0, centroids, off, dim));
            moved[c] = shift;
            maxShift = Math.max(maxShift, shift);
            System.arraycopy(updated, 0, centroids, off, dim);
        }
        return maxShift;
    }

    private static int farthestPointOfSharedCluster(int n, int[] assignment, float[] upper, int[] sizes) {
        int best = -1;
        float bestDistance = -1f;
        for (int i = 0; i < n; i++) {
            if (sizes[assignment[i]] > 1 && upper[i] > bestDistance) {
                bestDistance = upper[i];
                best = i;
            }
        }
        return best;
    }
}
