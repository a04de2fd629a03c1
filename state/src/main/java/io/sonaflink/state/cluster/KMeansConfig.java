package io.sonaflink.state.cluster;

import java.io.Serializable;

/**
 * Lloyd iteration limits (seed 004: 100 iterations, convergence 0.001).
 *
 * @param maxIterations upper bound on Lloyd iterations
 * @param tolerance stop once no centroid moves farther than this (Euclidean distance)
 */
public record KMeansConfig(int maxIterations, float tolerance) implements Serializable {

    public static final KMeansConfig DEFAULT = new KMeansConfig(100, 0.001f);

    public KMeansConfig {
        if (maxIterations < 1 || !(tolerance >= 0f)) {
            throw new IllegalArgumentException("invalid k-means limits: " + maxIterations + ", " + tolerance);
        }
    }
}
