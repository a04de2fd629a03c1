package io.sonaflink.state.bank;

import io.sonaflink.state.cluster.KMeansResult;
import io.sonaflink.state.sample.TrajectorySample;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns a clustering of trajectories into patterns (seed 004, {@code extract_patterns}): per
 * cluster the centroid, size, quality statistics, the most frequent route and discrete parameters
 * (ties broken by name, so the result is deterministic) and the mean of each continuous
 * parameter.
 */
public final class PatternExtractor {

    private PatternExtractor() {}

    /** One pattern per non-empty cluster, in cluster order, with id 0. */
    public static List<Pattern> extract(List<TrajectorySample> samples, KMeansResult clustering, long cycle) {
        List<Pattern> patterns = new ArrayList<>(clustering.k());
        for (Pattern p : extractByCluster(samples, clustering, cycle)) {
            if (p != null) {
                patterns.add(p);
            }
        }
        return patterns;
    }

    /** The pattern of each cluster index (null for an empty cluster), with id 0. */
    public static Pattern[] extractByCluster(List<TrajectorySample> samples, KMeansResult clustering, long cycle) {
        if (samples.size() != clustering.assignments().length) {
            throw new IllegalArgumentException("clustering does not match the samples");
        }
        int k = clustering.k();
        List<List<TrajectorySample>> members = new ArrayList<>(k);
        for (int c = 0; c < k; c++) {
            members.add(new ArrayList<>());
        }
        for (int i = 0; i < samples.size(); i++) {
            members.get(clustering.assignments()[i]).add(samples.get(i));
        }
        Pattern[] patterns = new Pattern[k];
        for (int c = 0; c < k; c++) {
            List<TrajectorySample> cluster = members.get(c);
            if (!cluster.isEmpty()) {
                patterns[c] = summarize(clustering.centroid(c), cluster, cycle);
            }
        }
        return patterns;
    }

    static Pattern summarize(float[] centroid, List<TrajectorySample> cluster, long cycle) {
        double mean = 0.0;
        double m2 = 0.0;
        int n = 0;
        Map<String, Integer> routes = new HashMap<>();
        Map<String, Map<String, Integer>> discrete = new HashMap<>();
        Map<String, double[]> numeric = new TreeMap<>(); // name -> {sum, count}
        for (TrajectorySample s : cluster) {
            n++;
            double delta = s.quality() - mean;
            mean += delta / n;
            m2 += delta * (s.quality() - mean);
            routes.merge(s.route(), 1, Integer::sum);
            for (Map.Entry<String, String> e : s.discreteParams().entrySet()) {
                discrete.computeIfAbsent(e.getKey(), key -> new HashMap<>()).merge(e.getValue(), 1, Integer::sum);
            }
            for (Map.Entry<String, Double> e : s.numericParams().entrySet()) {
                double[] acc = numeric.computeIfAbsent(e.getKey(), key -> new double[2]);
                acc[0] += e.getValue();
                acc[1] += 1.0;
            }
        }
        Map<String, String> discreteModes = new TreeMap<>();
        for (Map.Entry<String, Map<String, Integer>> e : discrete.entrySet()) {
            discreteModes.put(e.getKey(), mode(e.getValue()));
        }
        Map<String, Double> numericMeans = new TreeMap<>();
        for (Map.Entry<String, double[]> e : numeric.entrySet()) {
            numericMeans.put(e.getKey(), e.getValue()[0] / e.getValue()[1]);
        }
        return new Pattern(0L, centroid, n, mean, m2, mode(routes), discreteModes, numericMeans, cycle, cycle);
    }

    /** Most frequent value; the smallest name wins a tie. */
    static String mode(Map<String, Integer> counts) {
        String best = "";
        int bestCount = -1;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            int c = e.getValue();
            if (c > bestCount || (c == bestCount && e.getKey().compareTo(best) < 0)) {
                best = e.getKey();
                bestCount = c;
            }
        }
        return best;
    }
}
