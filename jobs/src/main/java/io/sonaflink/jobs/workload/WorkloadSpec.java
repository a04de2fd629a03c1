package io.sonaflink.jobs.workload;

/**
 * Shape of the built-in workload.
 *
 * @param keys adapter keys (tenants)
 * @param trajectoriesPerKey trajectories per key
 * @param dimension embedding dimension
 * @param clustersPerKey planted request clusters per key and task, each with its own best route
 * @param routes routes to choose from
 * @param correctionRate share of trajectories that get a correction signal
 * @param malformedRate share of lines (trajectories and signals) that are corrupted on purpose
 * @param taskSwitchAt fraction of each key's stream after which its requests come from the second
 *     task's clusters, corrected by another linear map (a new task)
 * @param seed base seed
 */
public record WorkloadSpec(
        int keys,
        int trajectoriesPerKey,
        int dimension,
        int clustersPerKey,
        int routes,
        double correctionRate,
        double malformedRate,
        double taskSwitchAt,
        long seed) {

    /** The local run's default: three tenants, 256-d embeddings, 10 clusters per task each. */
    public static final WorkloadSpec DEFAULT = new WorkloadSpec(3, 6_000, 256, 10, 4, 0.2, 0.01, 0.5, 7L);

    public WorkloadSpec {
        if (keys < 1 || trajectoriesPerKey < 1 || dimension < 1 || clustersPerKey < 1 || routes < 1) {
            throw new IllegalArgumentException("workload sizes must be positive");
        }
        if (correctionRate < 0 || correctionRate > 1 || malformedRate < 0 || malformedRate > 1
                || taskSwitchAt < 0 || taskSwitchAt > 1) {
            throw new IllegalArgumentException("rates and the task switch must be within [0, 1]");
        }
    }

    /** The index, within each key's stream, of the key's first trajectory of the second task. */
    public int secondTaskStart() {
        return (int) Math.ceil(taskSwitchAt * trajectoriesPerKey);
    }

    /**
     * The position of the first second-task trajectory in the workload's trajectory list, where the
     * keys are interleaved round-robin.
     */
    public int firstSecondTaskTrajectory() {
        return secondTaskStart() * keys;
    }

    public WorkloadSpec withTrajectoriesPerKey(int n) {
        return new WorkloadSpec(keys, n, dimension, clustersPerKey, routes, correctionRate, malformedRate,
                taskSwitchAt, seed);
    }

    public WorkloadSpec withDimension(int d) {
        return new WorkloadSpec(keys, trajectoriesPerKey, d, clustersPerKey, routes, correctionRate, malformedRate,
                taskSwitchAt, seed);
    }
}
