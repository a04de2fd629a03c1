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
 */
public record Workload(
        List<byte[]> trajectories,
        List<byte[]> signals,
        Map<String, Integer> clusterOf,
        Map<String, String> keyOf,
        Map<String, List<String>> bestRoute,
        int malformedTrajectories,
        int malformedSignals) {}
