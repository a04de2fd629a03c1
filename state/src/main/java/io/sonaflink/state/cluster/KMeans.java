package io.sonaflink.state.cluster;

import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.math.Vectors;

import java.util.Arrays;

/**
 * k-means++ seeding (Arthur and Vassilvitskii, 2007) followed by exact Lloyd iterations, on a
 * row-major {@code n x dim} {@code float[]}.
 *
 * <ul>
 *   <li><b>Seeding</b> is true D² sampling with a seeded generator: the first centre is uniform,
 *       each next centre is drawn with probability proportional to its squared distance to the
 *       nearest chosen centre (greedy variant: the best of a few such draws, see {@link
 *       #defaultLocalTrials}). The nearest distances are kept in an array and updated per new
 *       centre, so seeding is O(n·k·d) (not the seed's O(n·k²·d)); a point is skipped when the
 *       triangle inequality proves a candidate cannot be nearer, which changes nothing in the
 *       result.
 *   <li><b>Lloyd</b> uses Hamerly's bounds (2010) to skip points whose nearest centre cannot have
 *       changed; the remaining points are assigned with one dot-product sweep over all centres
 *       ({@code ||x||² + ||c||² - 2x·c} on a transposed centroid matrix, which the JIT
 *       vectorises). The result equals plain Lloyd's.
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
        float[] centroids = seed(data, n, dim, Math.min(k, n), new DeterministicRandom(seed));
        int kEff = centroids.length / dim;
        return lloyd(data, n, dim, kEff, centroids, config);
    }

    /**
     * Greedy k-means++ seeding with {@link #defaultLocalTrials(int)} candidates per centre. Returns
     * {@code k' x dim} centres, {@code k' <= k}: fewer only when the data has fewer than {@code k}
     * distinct points.
     */
    public static float[] seed(float[] data, int n, int dim, int k, DeterministicRandom random) {
        return seed(data, n, dim, k, defaultLocalTrials(k), random);
    }

    /**
     * {@code 2 + floor(ln k)} candidates per centre, as in scikit-learn: plain k-means++ often
     * lets two centres share one of many well-separated clusters (points of covered clusters keep
     * a sizeable share of the D² mass in high dimensions), and Lloyd cannot undo that.
     */
    public static int defaultLocalTrials(int k) {
        return 2 + (int) Math.log(k);
    }

    /**
     * k-means++ seeding. Each centre is chosen among {@code localTrials} candidates drawn by D²
     * sampling, keeping the one that lowers the total squared distance most; with one trial this
     * is the original algorithm.
     */
    public static float[] seed(float[] data, int n, int dim, int k, int localTrials, DeterministicRandom random) {
        if (localTrials < 1) {
            throw new IllegalArgumentException("localTrials must be positive: " + localTrials);
        }
        float[] centers = new float[k * dim];
        float[] minDist = new float[n];
        int[] nearest = new int[n];
        float[] candidateDist = new float[n];
        float[] bestDist = new float[n];
        // squared distances between the candidate and each chosen centre
        float[] centerDist = new float[k];

        int first = random.nextInt(n);
        System.arraycopy(data, first * dim, centers, 0, dim);
        double total = 0.0;
        for (int i = 0; i < n; i++) {
            minDist[i] = Vectors.squaredDistance(data, i * dim, centers, 0, dim);
            total += minDist[i];
        }
        int chosen = 1;
        while (chosen < k && total > 0.0) {
            int bestCandidate = -1;
            double bestTotal = Double.POSITIVE_INFINITY;
            for (int trial = 0; trial < localTrials; trial++) {
                int candidate = sampleProportional(minDist, total, random);
                double candidateTotal = distancesWithCandidate(
                        data, n, dim, candidate, centers, chosen, minDist, nearest, centerDist, candidateDist);
                if (candidateTotal < bestTotal) {
                    bestTotal = candidateTotal;
                    bestCandidate = candidate;
                    float[] swap = bestDist;
                    bestDist = candidateDist;
                    candidateDist = swap;
                }
            }
            System.arraycopy(data, bestCandidate * dim, centers, chosen * dim, dim);
            for (int i = 0; i < n; i++) {
                if (bestDist[i] < minDist[i]) {
                    minDist[i] = bestDist[i];
                    nearest[i] = chosen;
                }
            }
            total = bestTotal;
            chosen++;
        }
        return chosen == k ? centers : Arrays.copyOf(centers, chosen * dim);
    }

    /**
     * Fills {@code out} with each point's squared distance to its nearest centre if {@code
     * candidate} were added, and returns their sum. A point is skipped when the triangle
     * inequality proves the candidate cannot be nearer: {@code d(x, cand) >= d(cand, c) - d(x, c)
     * >= d(x, c)} whenever {@code d(cand, c)^2 >= 4 d(x, c)^2}.
     */
    private static double distancesWithCandidate(
            float[] data, int n, int dim, int candidate, float[] centers, int chosen, float[] minDist, int[] nearest,
            float[] centerDist, float[] out) {
        int cOff = candidate * dim;
        for (int j = 0; j < chosen; j++) {
            centerDist[j] = Vectors.squaredDistance(centers, j * dim, data, cOff, dim);
        }
        double total = 0.0;
        for (int i = 0; i < n; i++) {
            float m = minDist[i];
            if (centerDist[nearest[i]] < 4f * m) {
                float d = Vectors.squaredDistance(data, i * dim, data, cOff, dim);
                if (d < m) {
                    m = d;
                }
            }
            out[i] = m;
            total += m;
        }
        return total;
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

    private static KMeansResult lloyd(float[] data, int n, int dim, int k, float[] centroids, KMeansConfig config) {
        float[] pointNorms = new float[n];
        for (int i = 0; i < n; i++) {
            pointNorms[i] = Vectors.squaredNorm(data, i * dim, dim);
        }
        int[] assignment = new int[n];
        float[] upper = new float[n];
        float[] lower = new float[n];
        float[] transposed = new float[dim * k];
        float[] centroidNorms = new float[k];
        float[] dots = new float[k];
        float[] halfNearestCenter = new float[k];
        float[] moved = new float[k];
        double[] sums = new double[k * dim];
        int[] sizes = new int[k];

        // Initial full assignment.
        prepareCentroids(centroids, k, dim, transposed, centroidNorms, halfNearestCenter);
        float maxCentroidNorm = max(centroidNorms, k);
        for (int i = 0; i < n; i++) {
            assignFully(data, i, dim, k, pointNorms[i], centroids, transposed, centroidNorms, maxCentroidNorm,
                        dots, assignment, upper, lower);
        }

        int iterations = 0;
        boolean converged = false;
        while (iterations < config.maxIterations()) {
            iterations++;
            float maxShift = updateCentroids(data, n, dim, k, centroids, assignment, upper, lower, sums, sizes, moved);
            converged = maxShift <= config.tolerance();
            if (maxShift == 0f) {
                break;
            }
            prepareCentroids(centroids, k, dim, transposed, centroidNorms, halfNearestCenter);
            maxCentroidNorm = max(centroidNorms, k);
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
                float bound = Math.max(halfNearestCenter[a], lower[i]);
                if (upper[i] <= bound) {
                    continue;
                }
                upper[i] = (float) Math.sqrt(Vectors.squaredDistance(data, i * dim, centroids, a * dim, dim));
                if (upper[i] <= bound) {
                    continue;
                }
                assignFully(data, i, dim, k, pointNorms[i], centroids, transposed, centroidNorms, maxCentroidNorm,
                        dots, assignment, upper, lower);
            }
            if (converged) {
                break;
            }
        }
        Arrays.fill(sizes, 0);
        double inertia = 0.0;
        for (int i = 0; i < n; i++) {
            sizes[assignment[i]]++;
            inertia += Vectors.squaredDistance(data, i * dim, centroids, assignment[i] * dim, dim);
        }
        return new KMeansResult(centroids, k, dim, assignment, sizes, iterations, converged, inertia);
    }

    /** Exact nearest and second-nearest centre of point {@code i}; sets its bounds. */
    private static void assignFully(
            float[] data, int i, int dim, int k, float pointNorm, float[] centroids, float[] transposed,
            float[] centroidNorms, float maxCentroidNorm, float[] dots, int[] assignment, float[] upper, float[] lower) {
        Vectors.dotAll(data, i * dim, transposed, dim, k, dots);
        float best = Float.POSITIVE_INFINITY;
        float second = Float.POSITIVE_INFINITY;
        int bestIndex = 0;
        for (int c = 0; c < k; c++) {
            float d = pointNorm + centroidNorms[c] - 2f * dots[c];
            if (d < best) {
                second = best;
                best = d;
                bestIndex = c;
            } else if (d < second) {
                second = d;
            }
        }
        assignment[i] = bestIndex;
        // The expansion ||x||^2 + ||c||^2 - 2x.c loses precision far from the origin: the upper bound
        // is taken exactly and the lower bound is lowered by the expansion's rounding error.
        upper[i] = (float) Math.sqrt(Vectors.squaredDistance(data, i * dim, centroids, bestIndex * dim, dim));
        float roundingError = 1e-5f * (pointNorm + maxCentroidNorm);
        lower[i] = (float) Math.sqrt(Math.max(second - roundingError, 0f));
    }

    private static void prepareCentroids(
            float[] centroids, int k, int dim, float[] transposed, float[] centroidNorms, float[] halfNearestCenter) {
        Vectors.transpose(centroids, k, dim, transposed);
        for (int c = 0; c < k; c++) {
            centroidNorms[c] = Vectors.squaredNorm(centroids, c * dim, dim);
        }
        for (int c = 0; c < k; c++) {
            float nearest = Float.POSITIVE_INFINITY;
            for (int o = 0; o < k; o++) {
                if (o != c) {
                    nearest = Math.min(nearest, Vectors.squaredDistance(centroids, c * dim, centroids, o * dim, dim));
                }
            }
            halfNearestCenter[c] = k == 1 ? Float.POSITIVE_INFINITY : 0.5f * (float) Math.sqrt(nearest);
        }
    }

    /** Moves each centroid to its members' mean; repairs empty clusters. Returns the largest move. */
    private static float updateCentroids(
            float[] data, int n, int dim, int k, float[] centroids, int[] assignment, float[] upper,
            float[] lower, double[] sums, int[] sizes, float[] moved) {
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
        float maxShift = 0f;
        float[] updated = new float[dim];
        for (int c = 0; c < k; c++) {
            int off = c * dim;
            if (sizes[c] == 0) {
                int donor = farthestPointOfSharedCluster(n, assignment, upper, sizes);
                if (donor < 0) {
                    moved[c] = 0f;
                    continue;
                }
                // Move the donor: its old cluster loses it, this one gains it.
                int from = assignment[donor];
                sizes[from]--;
                int fOff = from * dim;
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
        for (int c = 0; c < k; c++) {
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

    private static float max(float[] values, int count) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            m = Math.max(m, values[i]);
        }
        return m;
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
