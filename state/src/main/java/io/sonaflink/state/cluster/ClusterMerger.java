package io.sonaflink.state.cluster;

import io.sonaflink.state.math.Vectors;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Merges the clusters of a k-means solution that are pieces of one cluster, so that k need not be
 * guessed: run k-means with more centres than there are clusters, then join the pieces.
 *
 * <p>Two clusters are one when both of these hold, on the line through their centres:
 *
 * <ul>
 *   <li><b>No valley between them.</b> The density of their members halfway between the centres
 *       is at least {@code minValleyRatio} of the density at the sparser centre, each cluster
 *       weighing the same whatever its size: otherwise the tail of a large cluster fills the
 *       valley beside a small piece of its neighbour, and the two are joined. k-means cuts a
 *       cluster into cells whose borders run through dense data, while two real clusters {@code
 *       Delta} apart leave a valley of about {@code 2 exp(-Delta^2 / 8 sigma^2)}: 0.02 at {@code
 *       Delta = 6 sigma}.
 *   <li><b>No wider than one cluster.</b> Their members' spread along that line is at most
 *       {@link #MAX_UNION_SPREAD} times the typical cluster's per-dimension variance: a piece of a
 *       cluster stays within its cluster's spread, two clusters spread {@code 1 + Delta^2 / 4
 *       sigma^2}. This keeps a chain of cells from joining two overlapping clusters through the
 *       cells at their border, where a cell-sized window shows no valley.
 * </ul>
 *
 * Positions on the line are taken leave-one-out (each member against its centre recomputed
 * without it): with fewer members than dimensions, a centre is pulled towards each of its members
 * by more than the distance between two halves of one cluster, and every cut would look like a
 * valley. The test needs no radius, so it holds in any dimension, where a cosine or a radius
 * cannot tell pieces from clusters (a radius grows with {@code sqrt(d)}, the distance between
 * pieces does not) and where a fixed cosine threshold let one cluster fill the bank with copies.
 * Measured on planted clusters ({@code PatternLearnerTest}), one window is cut right down to
 * clusters about {@code 4.5 sigma} apart; closer ones (where k-means with the true k reaches an
 * adjusted Rand index of about 0.7) are joined in the first window and only come apart over
 * later ones.
 *
 * <p>Densities are member shares in bins a quarter of the centre distance wide. A pair of fewer
 * than {@link #MIN_TEST_SAMPLES} members has no density profile to show a valley: it merges when its centres, less the distance sampling noise alone puts between them, are closer
 * than {@link #SMALL_PAIR_SEPARATION} per-dimension standard deviations of the typical cluster
 * (crumbs of a cut join it, an outlier or a crumb of another cluster stays apart). Pairs merge
 * most-connected first until none qualifies; only each cluster's {@link #NEIGHBOURS} nearest
 * centres are candidates, so the cost is {@code O(k * NEIGHBOURS * (n / k) * d)}.
 */
public final class ClusterMerger {

    /** Members of a pair below which its density profile is not trusted. */
    static final int MIN_TEST_SAMPLES = 12;
    /** Centre distance, in per-dimension standard deviations of the typical cluster, that joins a small pair. */
    static final double SMALL_PAIR_SEPARATION = 2.5;
    /**
     * A pair's spread along its line, over the typical per-dimension variance, above which it is two
     * clusters. Pieces of one cluster measured up to 3.4 (cells are not Gaussian, and their centres
     * carry sampling noise), two clusters {@code 4 sigma} apart about 5.
     */
    static final double MAX_UNION_SPREAD = 4.0;
    /** Members a cluster needs for its spread to count towards the typical one. */
    static final int MIN_SPREAD_SAMPLES = 3;
    /** How much more connected two groups holding established clusters must be to join. */
    static final double ESTABLISHED_FACTOR = 1.5;
    /** Candidate partners per cluster (its nearest centres). */
    static final int NEIGHBOURS = 4;

    private ClusterMerger() {}

    /** {@link #merge(float[], int, KMeansResult, double, int)} with no established clusters. */
    public static int[] merge(float[] data, int dim, KMeansResult clustering, double minValleyRatio) {
        return merge(data, dim, clustering, minValleyRatio, 0);
    }

    /**
     * Groups the non-empty clusters of {@code clustering} over {@code data}. The first {@code
     * established} clusters stand for patterns earlier windows found apart: two groups that each
     * hold one join only at {@link #ESTABLISHED_FACTOR} times the valley ratio, so clusters near the
     * limit of the test are not joined by one window's noise after many windows kept them apart
     * (pieces of one cluster are far above it).
     *
     * @return per cluster index, the index of its group's representative (itself when it was not
     *     merged; the lowest index of the group otherwise); -1 for an empty cluster
     */
    public static int[] merge(float[] data, int dim, KMeansResult clustering, double minValleyRatio,
            int established) {
        int k = clustering.k();
        int[] assignment = clustering.assignments();
        List<int[]> members = members(assignment, k);
        float[] centroids = clustering.centroids().clone();
        int[] group = new int[k];
        for (int c = 0; c < k; c++) {
            group[c] = members.get(c).length == 0 ? -1 : c;
        }
        double fallback = medianAxisVariance(data, dim, centroids, members);
        boolean[] holdsEstablished = new boolean[k];
        Arrays.fill(holdsEstablished, 0, Math.min(established, k), true);
        int[] version = new int[k];
        PriorityQueue<Pair> queue = new PriorityQueue<>();
        for (int a = 0; a < k; a++) {
            if (group[a] == a) {
                offerNeighbours(a, data, dim, centroids, members, group, version, holdsEstablished, fallback, minValleyRatio,
                        queue);
            }
        }
        while (!queue.isEmpty()) {
            Pair p = queue.poll();
            if (group[p.a] != p.a || group[p.b] != p.b || version[p.a] != p.versionA || version[p.b] != p.versionB) {
                continue; // one side has changed since this pair was scored
            }
            int keep = Math.min(p.a, p.b);
            int drop = Math.max(p.a, p.b);
            int[] joined = concat(members.get(keep), members.get(drop));
            double wKeep = members.get(keep).length;
            double wDrop = members.get(drop).length;
            for (int j = 0; j < dim; j++) {
                centroids[keep * dim + j] = (float) ((wKeep * centroids[keep * dim + j]
                        + wDrop * centroids[drop * dim + j]) / (wKeep + wDrop));
            }
            members.set(keep, joined);
            members.set(drop, new int[0]);
            for (int c = 0; c < k; c++) {
                if (group[c] == drop) {
                    group[c] = keep;
                }
            }
            holdsEstablished[keep] |= holdsEstablished[drop];
            version[keep]++;
            offerNeighbours(keep, data, dim, centroids, members, group, version, holdsEstablished, fallback,
                    minValleyRatio, queue);
        }
        return group;
    }

    /**
     * How much clusters {@code a} and {@code b} are one: the density of their members halfway
     * between the centres over the density at the sparser centre, or 0 when together they are
     * wider than a cluster (higher: more one cluster).
     */
    static double connection(float[] data, int dim, float[] centroids, int a, int b, int[] membersA, int[] membersB,
            double typicalVariance) {
        float[] axis = new float[dim];
        double lengthSquared = 0;
        for (int j = 0; j < dim; j++) {
            axis[j] = centroids[b * dim + j] - centroids[a * dim + j];
            lengthSquared += (double) axis[j] * axis[j];
        }
        if (lengthSquared == 0) {
            return Double.POSITIVE_INFINITY;
        }
        int count = membersA.length + membersB.length;
        if (count < MIN_TEST_SAMPLES) {
            // A centre of m members lies sigma^2 d / m from its cluster's by chance alone: in high
            // dimension a crumb of three is several sigma off the cluster it was cut from.
            double centreNoise = typicalVariance * dim * (1.0 / membersA.length + 1.0 / membersB.length);
            double separation = (lengthSquared - centreNoise) / typicalVariance;
            return typicalVariance > 0 && separation < SMALL_PAIR_SEPARATION * SMALL_PAIR_SEPARATION
                    ? Double.POSITIVE_INFINITY : 0;
        }
        // Around a, halfway, around b: the pair's members, each cluster weighing 1 in all, so the
        // tail of a large cluster cannot fill the valley next to a small one.
        double[] bins = new double[3];
        double sumT = 0;
        double sumT2 = 0;
        for (int side = 0; side < 2; side++) {
            int own = side == 0 ? a : b;
            int[] members = side == 0 ? membersA : membersB;
            double sign = side == 0 ? 1 : -1; // axis from this member's centre towards the other
            double axisOwn = Vectors.dot(centroids, own * dim, axis, 0, dim);
            for (int i : members) {
                double t = leaveOneOutPosition(data, dim, centroids, own, i, members.length,
                        Vectors.dot(data, i * dim, axis, 0, dim) - axisOwn, sign, lengthSquared);
                t = side == 0 ? t : 1 - t;
                sumT += t;
                sumT2 += t * t;
                int bin = (int) Math.floor((t + 0.125) * 4);
                if (bin == 0 || bin == 2 || bin == 4) {
                    bins[bin / 2] += 1.0 / members.length;
                }
            }
        }
        double mean = sumT / count;
        double unionVariance = (sumT2 / count - mean * mean) * lengthSquared;
        if (typicalVariance > 0 && unionVariance > MAX_UNION_SPREAD * typicalVariance) {
            return 0; // together they are wider along this line than any one cluster is: two clusters
        }
        // Half a member of the larger side keeps empty bins finite; of the smaller side it would
        // be half of a singleton's whole weight, and a lone outlier would join any cluster.
        double halfMember = 0.5 / Math.max(membersA.length, membersB.length);
        return (bins[1] + halfMember) / (Math.min(bins[0], bins[2]) + halfMember);
    }

    /**
     * Where member {@code i} of cluster {@code own} lies on the line from its centre to the other
     * (0 at its centre, 1 at the other), with its own centre recomputed without it. A centre
     * fitted to the point it is tested with is pulled towards it by {@code 1 / n} of the point: when
     * a cluster has fewer members than dimensions that pull is larger than the distance between two
     * halves of one cluster, and every cut of it would look like a valley.
     *
     * @param projection {@code (x_i - c_own) . (c_b - c_a)}
     * @param sign 1 for a member of {@code a}, -1 for one of {@code b} (its axis points the other way)
     */
    private static double leaveOneOutPosition(float[] data, int dim, float[] centroids, int own, int i, int n,
            double projection, double sign, double lengthSquared) {
        double p = sign * projection;
        if (n < 2) {
            return p / lengthSquared;
        }
        double r2 = Vectors.squaredDistance(data, i * dim, centroids, own * dim, dim);
        double shrink = 1.0 / (n - 1);
        // c' = c - (x - c)/(n - 1): x - c' = (x - c) n/(n - 1), axis' = axis + (x - c)/(n - 1)
        double along = (p + r2 * shrink) * n * shrink;
        double axis2 = lengthSquared + 2 * p * shrink + r2 * shrink * shrink;
        return along / axis2;
    }

    private static void offerNeighbours(int a, float[] data, int dim, float[] centroids, List<int[]> members,
            int[] group, int[] version, boolean[] holdsEstablished, double fallback, double minValleyRatio,
            PriorityQueue<Pair> queue) {
        int k = group.length;
        int[] nearest = new int[NEIGHBOURS];
        double[] nearestDistance = new double[NEIGHBOURS];
        Arrays.fill(nearest, -1);
        Arrays.fill(nearestDistance, Double.POSITIVE_INFINITY);
        for (int b = 0; b < k; b++) {
            if (b == a || group[b] != b) {
                continue;
            }
            double d = Vectors.squaredDistance(centroids, a * dim, centroids, b * dim, dim);
            for (int slot = 0; slot < NEIGHBOURS; slot++) {
                if (d < nearestDistance[slot]) {
                    System.arraycopy(nearest, slot, nearest, slot + 1, NEIGHBOURS - slot - 1);
                    System.arraycopy(nearestDistance, slot, nearestDistance, slot + 1, NEIGHBOURS - slot - 1);
                    nearest[slot] = b;
                    nearestDistance[slot] = d;
                    break;
                }
            }
        }
        for (int b : nearest) {
            if (b < 0) {
                break;
            }
            double c = connection(data, dim, centroids, a, b, members.get(a), members.get(b), fallback);
            double needed = holdsEstablished[a] && holdsEstablished[b] ? ESTABLISHED_FACTOR * minValleyRatio
                    : minValleyRatio;
            if (c >= needed) {
                queue.add(new Pair(a, b, version[a], version[b], c));
            }
        }
    }

    /** The median over clusters of at least {@link #MIN_SPREAD_SAMPLES} members of their per-dimension variance. */
    private static double medianAxisVariance(float[] data, int dim, float[] centroids, List<int[]> members) {
        List<Double> variances = new ArrayList<>();
        for (int c = 0; c < members.size(); c++) {
            int[] m = members.get(c);
            if (m.length < MIN_SPREAD_SAMPLES) {
                continue;
            }
            double sum = 0;
            for (int i : m) {
                sum += Vectors.squaredDistance(data, i * dim, centroids, c * dim, dim);
            }
            variances.add(sum / m.length / dim);
        }
        if (variances.isEmpty()) {
            return 0;
        }
        variances.sort(Double::compare);
        return variances.get(variances.size() / 2);
    }

    private static List<int[]> members(int[] assignment, int k) {
        int[] sizes = new int[k];
        for (int a : assignment) {
            sizes[a]++;
        }
        List<int[]> members = new ArrayList<>(k);
        for (int c = 0; c < k; c++) {
            members.add(new int[sizes[c]]);
        }
        int[] filled = new int[k];
        for (int i = 0; i < assignment.length; i++) {
            int c = assignment[i];
            members.get(c)[filled[c]++] = i;
        }
        return members;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A candidate merge, most connected first (then by indices, so the order is deterministic). */
    private record Pair(int a, int b, int versionA, int versionB, double connection) implements Comparable<Pair> {
        @Override
        public int compareTo(Pair o) {
            int c = Double.compare(o.connection, connection);
            if (c != 0) {
                return c;
            }
            c = Integer.compare(Math.min(a, b), Math.min(o.a, o.b));
            return c != 0 ? c : Integer.compare(Math.max(a, b), Math.max(o.a, o.b));
        }
    }
}
