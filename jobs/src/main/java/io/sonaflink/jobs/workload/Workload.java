package io.sonaflink.jobs.workload;

import java.util.List;
import java.util.Map;

/**
 * A generated workload: JSON lines for the trajectory and signal topics, and the ground truth
 * needed to judge what was learned.
 *
 * @param trajectories trajectory lines in send order
 * @param signals signal lines in send order
 * @param clusterOf planted cluster of every well-formed trajectory, by id
 * @param keyOf adapter key string of every well-formed trajectory, by id
 * @param bestRoute best route of each cluster, by key string then cluster
 * @param malformedTrajectories lines corrupted on purpose among the trajectories
 * @param malformedSignals lines corrupted on purpose among the signals
 * @param probes held-out requests of every key (never sent), by key string, to measure what was
 *     learned: half of them from each task's clusters, with their correction and best route
 */
public record Workload(
        List<byte[]> trajectories,
        List<byte[]> signals,
        Map<String, Integer> clusterOf,
        Map<String, String> keyOf,
        Map<String, List<String>> bestRoute,
        int malformedTrajectories,
        int malformedSignals,
        Map<String, List<Probe>> probes) {

    /**
     * A held-out request of one key.
     *
     * @param embedding the request
     * @param cluster its planted cluster
     * @param bestRoute the cluster's best route
     * @param task 0 for the first task (before the switch), 1 for the second
     * @param target the correction it gets
     */
    public record Probe(float[] embedding, int cluster, String bestRoute, int task, float[] target) {}
}
