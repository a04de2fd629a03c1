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
 *   <li>A group most of whose trajectories chose stored patterns refines the one most chose
 *       ({@link Pattern#refinedBy}): its id, counts and route carry on; another stored pattern in
 *       the group that drew a live share ({@link #ABSORB_MIN_MEMBERS}) is a duplicate and is
 *       absorbed. A group of new centres becomes a new pattern when it has at least {@link
 *       #MIN_NEW_PATTERN_SAMPLES} members and the confidence threshold; otherwise its trajectories
 *       are reported as unplaced, not silently dropped.
 *   <li>A pattern that windows stopped refining {@code retireAfterCycles} cycles ago before it was
 *       established ({@link #ESTABLISHED_SPAN}) is retired: a piece of a cluster the first window
 *       kept apart, or a centroid between two clusters ("ghost") that loses its trajectories to
 *       the clusters' own patterns. An established pattern stays when its trajectories stop (an
 *       earlier task's requests may come back), until capacity evicts the least confident.
 * </ol>
 */
public final class PatternLearner {

    /**
     * Members a cluster needs to become a new pattern, or to refine a stored one: fewer have no
     * spread to judge them by.
     */
    public static final int MIN_NEW_PATTERN_SAMPLES = 3;

    /**
     * Trajectories another stored pattern in the keeper's group must have drawn this window to be
     * a duplicate of it, and absorbed: fewer are strays (an earlier task's pattern that the edge of
     * a new cluster reached), and the pattern stays.
     */
    static final int ABSORB_MIN_MEMBERS = 12;

    /**
     * Cycles after its creation over which windows refined a pattern for it to count as a real
     * cluster, kept when its trajectories stop (an earlier task's); a piece of a cluster or a ghost
     * loses its trajectories within a cycle or two.
     */
    public static final int ESTABLISHED_SPAN = 2;

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
            // The stored pattern most of the group's trajectories chose keeps the cluster: not the
            // oldest or the heaviest, which may be a ghost that drifted into it.
            int keeper = -1;
            int storedMembers = 0;
            for (int c = 0; c < m; c++) {
                if (group[c] == g) {
                    storedMembers += clustering.sizes()[c];
                    if (keeper < 0 || clustering.sizes()[c] > clustering.sizes()[keeper]) {
                        keeper = c;
                    }
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
            // A cluster keeps its pattern when most of its trajectories chose it. A new cluster
            // that also took a few strays from an old pattern (an earlier task's, say) is new:
            // the old pattern is not handed over to it.
            if (keeper >= 0 && members.size() < MIN_NEW_PATTERN_SAMPLES) {
                unplaced += members.size(); // a stray or two do not refine a pattern, nor confirm a new one
            } else if (keeper >= 0 && 2L * storedMembers >= members.size()) {
                // Another stored pattern that a live share of the cluster chose is a duplicate of
                // the keeper and is absorbed; one that only lost a few strays to it is left alone.
                for (int c = 0; c < m; c++) {
                    if (group[c] == g && c != keeper
                            && clustering.sizes()[c] >= ABSORB_MIN_MEMBERS) {
                        bank.remove(stored.get(c).id());
                        absorbed++;
                    }
                }
                bank.replace(stored.get(keeper).refinedBy(fresh, config.memoryWindows(), cycle));
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

    /**
     * Retires the patterns that no window has refined for {@code retireAfterCycles} cycles and that
     * were not refined over {@link #ESTABLISHED_SPAN} cycles after the one that created them.
     */
    private static int retire(ReasoningBank bank, ReasoningBankConfig config, long cycle) {
        int retired = 0;
        for (Pattern p : new ArrayList<>(bank.patterns())) {
            boolean established = p.updatedCycle() - p.createdCycle() >= ESTABLISHED_SPAN;
            if (!established && cycle - p.updatedCycle() >= config.retireAfterCycles() && bank.remove(p.id())) {
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
