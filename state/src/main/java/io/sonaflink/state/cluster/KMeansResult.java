package io.sonaflink.state.cluster;

/**
 * A clustering: {@code k} centroids (row-major {@code k x dim}), each point's cluster and each
 * cluster's size.
 *
 * @param centroids row-major {@code k x dim}
 * @param k number of clusters (fewer than requested when the data has fewer distinct points)
 * @param dim dimension
 * @param assignments cluster index per point
 * @param sizes points per cluster
 * @param iterations Lloyd iterations run
 * @param converged whether the tolerance was reached before the iteration limit
 * @param inertia sum of squared distances of points to their centroid
 */
public record KMeansResult(
        float[] centroids, int k, int dim, int[] assignments, int[] sizes, int iterations, boolean converged, double inertia) {

    /** A copy of centroid {@code c}. */
    public float[] centroid(int c) {
        float[] out = new float[dim];
        System.arraycopy(centroids, c * dim, out, 0, dim);
        return out;
    }
}
