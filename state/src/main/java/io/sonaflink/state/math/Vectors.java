package io.sonaflink.state.math;

/**
 * Dense {@code float[]} kernels used on the hot paths of the learning core.
 *
 * <p>Reductions use four independent accumulators so the JIT can keep several multiply-adds in
 * flight; the "one query against many rows" kernel works on a transposed matrix held as row arrays so
 * that the inner loop is an axpy over rows, which HotSpot auto-vectorises.
 */
public final class Vectors {

    private Vectors() {}

    /** Dot product of {@code a[aOff..aOff+n)} and {@code b[bOff..bOff+n)}. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[aOff + i] * b[bOff + i];
            s1 += a[aOff + i + 1] * b[bOff + i + 1];
            s2 += a[aOff + i + 2] * b[bOff + i + 2];
            s3 += a[aOff + i + 3] * b[bOff + i + 3];
        }
        for (; i < n; i++) {
            s0 += a[aOff + i] * b[bOff + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    public static float dot(float[] a, float[] b) {
        checkSameLength(a, b);
        return dot(a, 0, b, 0, a.length);
    }

    /** Squared L2 norm of {@code a[off..off+n)}. */
    public static float squaredNorm(float[] a, int off, int n) {
        return dot(a, off, a, off, n);
    }

    public static float squaredNorm(float[] a) {
        return squaredNorm(a, 0, a.length);
    }

    /** Squared Euclidean distance between {@code a[aOff..)} and {@code b[bOff..)}, exact form. */
    public static float squaredDistance(float[] a, int aOff, float[] b, int bOff, int n) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            float d0 = a[aOff + i] - b[bOff + i];
            float d1 = a[aOff + i + 1] - b[bOff + i + 1];
            float d2 = a[aOff + i + 2] - b[bOff + i + 2];
            float d3 = a[aOff + i + 3] - b[bOff + i + 3];
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; i < n; i++) {
            float d = a[aOff + i] - b[bOff + i];
            s0 += d * d;
        }
        return (s0 + s1) + (s2 + s3);
    }

    public static float squaredDistance(float[] a, float[] b) {
        checkSameLength(a, b);
        return squaredDistance(a, 0, b, 0, a.length);
    }

    /** Cosine similarity; 0 when either vector is zero. */
    public static float cosine(float[] a, float[] b) {
        checkSameLength(a, b);
        float na = squaredNorm(a);
        float nb = squaredNorm(b);
        if (na == 0f || nb == 0f) {
            return 0f;
        }
        return (float) (dot(a, b) / Math.sqrt((double) na * nb));
    }

    /**
     * Dot products of {@code q[qOff..qOff+rows.length)} with every column of a matrix held as
     * row arrays: {@code out[c] = sum_j q[qOff + j] * rows[j][c]} for {@code c < cols}.
     *
     * <p>The matrix is an array of rows, not one flat array, on purpose: the inner loop then
     * indexes {@code out} and {@code rows[j]} from the same offset (zero), which is what HotSpot's
     * auto-vectoriser needs to emit SIMD code on JDK 17 (about four times faster here).
     */
    public static void dotAll(float[] q, int qOff, float[][] rows, int cols, float[] out) {
        java.util.Arrays.fill(out, 0, cols, 0f);
        for (int j = 0; j < rows.length; j++) {
            float qj = q[qOff + j];
            float[] row = rows[j];
            for (int c = 0; c < cols; c++) {
                out[c] += qj * row[c];
            }
        }
    }

    /**
     * The transpose of {@code count} vectors of dimension {@code dim} stored back to back in
     * {@code vectors}, as {@code dim} row arrays of length {@code capacity >= count} (see {@link
     * #dotAll}).
     */
    public static float[][] transposeToRows(float[] vectors, int count, int dim, int capacity) {
        float[][] rows = new float[dim][capacity];
        for (int v = 0; v < count; v++) {
            int base = v * dim;
            for (int j = 0; j < dim; j++) {
                rows[j][v] = vectors[base + j];
            }
        }
        return rows;
    }

    /** True when every element is finite (no NaN, no infinity). */
    public static boolean allFinite(float[] a) {
        for (float v : a) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    private static void checkSameLength(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException(
                    "dimension mismatch: " + a.length + " vs " + b.length);
        }
    }
}
