package io.sonaflink.state.math;

/**
 * Dense {@code float[]} kernels used on the hot paths of the learning core.
 *
 * <p>Reductions use four independent accumulators so the JIT can keep several multiply-adds in
 * flight; the "one query against many rows" kernels work on a column-major (transposed) matrix so
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
        float s0 = 0f, s1 = 0f;
        int i = 0;
        for (; i + 1 < n; i += 2) {
            float d0 = a[aOff + i] - b[bOff + i];
            float d1 = a[aOff + i + 1] - b[bOff + i + 1];
            s0 += d0 * d0;
            s1 += d1 * d1;
        }
        for (; i < n; i++) {
            float d = a[aOff + i] - b[bOff + i];
            s0 += d * d;
        }
        return s0 + s1;
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

    /** {@code y[yOff..yOff+n) += alpha * x[xOff..xOff+n)}. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    /**
     * Dot products of one row vector {@code q[qOff..qOff+dim)} with every column of a column-major
     * matrix {@code colMajor} of {@code dim} rows and {@code cols} columns (element (j, c) at
     * {@code j * cols + c}): {@code out[c] = sum_j q[j] * colMajor[j * cols + c]}.
     */
    public static void dotAll(float[] q, int qOff, float[] colMajor, int dim, int cols, float[] out) {
        java.util.Arrays.fill(out, 0, cols, 0f);
        for (int j = 0; j < dim; j++) {
            float qj = q[qOff + j];
            int base = j * cols;
            for (int c = 0; c < cols; c++) {
                out[c] += qj * colMajor[base + c];
            }
        }
    }

    /**
     * Transposes a row-major {@code rows x cols} matrix into a column-major buffer ({@code out}
     * holds element (r, c) at {@code c * rows + r}).
     */
    public static void transpose(float[] rowMajor, int rows, int cols, float[] out) {
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = rowMajor[base + c];
            }
        }
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
