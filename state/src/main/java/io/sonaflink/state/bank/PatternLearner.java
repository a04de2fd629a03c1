package io.sonaflink.state.bank;

import io.sonaflink.state.cluster.ClusterMerger;
import io.sonaflink.state.cluster.KMeans;
import io.sonaflink.state.cluster.KMeansConfig;
import io.sonaflink.state.cluster.KMeansResult;
import io.sonaflink.state.sample.TrajectorySample;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One learning cycle's patterns: the bank is the model, and a cycle refines it (mini-batch k-means
 * with the bank as its centres), seed 004's {@code extract_patterns} made stable across cycles.
 *
 * <ol>
 *   <li>The window is put in a fixed order (by content), so the same trajectories give the same
 *       bank whatever order they arrived in, at any parallelism.
 *   <li>k-means starts from every stored centroid plus new greedy k-means++ centres drawn against
 *       them (D² to the nearest stored or new centre): up to {@code k} in all for a bank of
 *       {@code m} patterns, and {@code k / 4} more, so clusters the bank does not cover get
 *       centres, and so does data beyond {@code k} real clusters. Seeding more centres than there
 *       are clusters is what keeps k-means from losing clusters (measured: at {@code k} equal to the
 *       true count greedy k-means++ lost 8 of 50 in 384 dimensions, with {@code k / 4} more none);
 *       an over-seeded cluster is cut into pieces, and that is repaired next.
 *   <li>{@link ClusterMerger} joins clusters with no valley between them ({@link
 *       ReasoningBankConfig#separation()}): the pieces of one real cluster, and two stored patterns
 *       that turn out to be one (the one more trajectories chose absorbs the other). So k need not
 *       be guessed: configured above the real number of clusters, the bank converges to it.
 *   <li>A group that holds a stored pattern refines it ({@link Pattern#refinedBy}): its id, counts
 *       and route carry on. A group of new centres becomes a new pattern when it has at least
 *       {@link #MIN_NEW_PATTERN_SAMPLES} members and the confidence threshold; otherwise its
 *       trajectories are reported as unplaced, not silently dropped.
 *   <li>A stored pattern no trajectory was nearest to for {@code retireAfterCycles} cycles is
 *       retired: a centroid between two clusters ("ghost") loses its members to the clusters' own
 *       patterns and leaves, instead of living forever on the samples it once had.
 * </ol>
 */
public final class PatternLearner {

    /** Members a cluster needs to become a new pattern: fewer have no spread to judge them by. */
    public static final int MIN_NEW_PATTERN_SAMPLES = 3;

    private PatternLearner() {}

    /** What the cycle did, and the window's clusters as patterns (id 0 for new ones). */
    public record Outcome(MergeReport report, List<Pattern> windowPatterns, int kmeansIterations) {}

    /**
     * Refines {@code bank} with the window's qualified trajectories.
     *
     * @param k centres per window: the bank's, then new ones up to this, and {@code k / 4} more
     */
    public static Outcome refine(ReasoningBank bank, List<TrajectorySample> qualified, int k, KMeansConfig kmeans,
            ReasoningBankConfig config, long cycle, long seed) {
        int dim = bank.dim();
        List<Pattern> stored = new ArrayList<>(bank.patterns());
        int retired = 0;
        if (qualified.isEmpty()) {
            retired = retire(bank, config, cycle);
            return new Outcome(new MergeReport(0, 0, 0, 0, retired, bank.evictToCapacity(config.capacity()), 0),
                    List.of(), 0);
        }
        List<TrajectorySample> window = new ArrayList<>(qualified);
        window.sort(CONTENT_ORDER);
        int n = window.size();
        float[] data = new float[n * dim];
        for (int i = 0; i < n; i++) {
            System.arraycopy(window.get(i).embedding(), 0, data, i * dim, dim);
        }
        int m = stored.size();
        float[] initial = new float[m * dim];
        for (int p = 0; p < m; p++) {
            System.arraycopy(stored.get(p).centroid(), 0, initial, p * dim, dim);
        }
        int extra = Math.max(k - m, 0) + (k + 3) / 4;
        KMeansResult clustering = KMeans.refine(data, n, dim, initial, m, extra, kmeans, seed);
        int[] group = ClusterMerger.merge(data, dim, clustering, config.separation(), m);

        int inserted = 0;
        int refined = 0;
        int rejected = 0;
        int absorbed = 0;
        int unplaced = 0;
        List<Pattern> windowPatterns = new ArrayList<>();
        for (int g = 0; g < clustering.k(); g++) {
            if (group[g] != g) {
                continue; // empty, or part of a group led by a lower index
            }
            List<TrajectorySample> members = new ArrayList<>();
            double[] centroid = new double[dim];
            List<Pattern> storedInGroup = new ArrayList<>();
            int keeperMembers = -1;
            for (int c = 0; c < m; c++) {
                if (group[c] != g) {
                    continue;
                }
                // The stored pattern most of the group's trajectories chose keeps the cluster: not
                // the oldest or the heaviest, which may be a ghost that drifted into it.
                if (clustering.sizes()[c] > keeperMembers) {
                    storedInGroup.add(0, stored.get(c));
                    keeperMembers = clustering.sizes()[c];
                } else {
                    storedInGroup.add(stored.get(c));
                }
            }
            int[] assignment = clustering.assignments();
            for (int i = 0; i < n; i++) {
                if (group[assignment[i]] == g) {
                    members.add(window.get(i));
                    for (int j = 0; j < dim; j++) {
                        centroid[j] += data[i * dim + j];
                    }
                }
            }
            float[] mean = new float[dim];
            for (int j = 0; j < dim; j++) {
                mean[j] = (float) (centroid[j] / members.size());
            }
            Pattern fresh = PatternExtractor.summarize(mean, members, cycle);
            windowPatterns.add(fresh);
            if (!storedInGroup.isEmpty()) {
                Pattern keeper = storedInGroup.get(0);
                for (Pattern other : storedInGroup.subList(1, storedInGroup.size())) {
                    bank.remove(other.id());
                    absorbed++;
                }
                bank.replace(keeper.refinedBy(fresh, config.memoryWindows(), cycle));
                refined++;
            } else if (members.size() >= MIN_NEW_PATTERN_SAMPLES
                    && fresh.confidence() >= config.confidenceThreshold()) {
                bank.add(fresh);
                inserted++;
            } else {
                rejected++;
                unplaced += members.size();
            }
        }
        retired = retire(bank, config, cycle);
        int evicted = bank.evictToCapacity(config.capacity());
        return new Outcome(new MergeReport(inserted, refined, rejected, absorbed, retired, evicted, unplaced),
                windowPatterns, clustering.iterations());
    }

    /** Retires the patterns not refined in the last {@code retireAfterCycles} cycles. */
    private static int retire(ReasoningBank bank, ReasoningBankConfig config, long cycle) {
        int retired = 0;
        for (Pattern p : new ArrayList<>(bank.patterns())) {
            if (cycle - p.updatedCycle() >= config.retireAfterCycles() && bank.remove(p.id())) {
                retired++;
            }
        }
        return retired;
    }

    /** A total order on trajectories by content (embedding bits first), independent of arrival order. */
    static final Comparator<TrajectorySample> CONTENT_ORDER = (a, b) -> {
        float[] x = a.embedding();
        float[] y = b.embedding();
        for (int j = 0; j < Math.min(x.length, y.length); j++) {
            int c = Integer.compare(Float.floatToIntBits(x[j]), Float.floatToIntBits(y[j]));
            if (c != 0) {
                return c;
            }
        }
        int c = Integer.compare(x.length, y.length);
        if (c != 0) {
            return c;
        }
        c = Float.compare(a.quality(), b.quality());
        return c != 0 ? c : a.route().compareTo(b.route());
    };
}
