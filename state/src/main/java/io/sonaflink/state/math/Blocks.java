package io.sonaflink.state.math;

import java.util.Arrays;

/**
 * Helpers for parameter blocks: a parameter vector held as rows ({@code float[][]}), each row its
 * own array. Loops over one row index every array from offset zero, which lets HotSpot (JDK 17)
 * vectorise them; one flat array with per-row offsets would not be.
 */
public final class Blocks {

    private Blocks() {}

    /** Rows of zeros shaped like {@code shape}. */
    public static float[][] zerosLike(float[][] shape) {
        float[][] out = new float[shape.length][];
        for (int r = 0; r < shape.length; r++) {
            out[r] = new float[shape[r].length];
        }
        return out;
    }

    public static float[][] copy(float[][] blocks) {
        float[][] out = new float[blocks.length][];
        for (int r = 0; r < blocks.length; r++) {
            out[r] = blocks[r].clone();
        }
        return out;
    }

    public static void clear(float[][] blocks) {
        for (float[] row : blocks) {
            Arrays.fill(row, 0f);
        }
    }

    /** Total number of values. */
    public static int size(float[][] blocks) {
        int n = 0;
        for (float[] row : blocks) {
            n += row.length;
        }
        return n;
    }

    /** True when both have the same number of rows and each row the same length. */
    public static boolean sameShape(float[][] a, float[][] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int r = 0; r < a.length; r++) {
            if (a[r].length != b[r].length) {
                return false;
            }
        }
        return true;
    }

    /** Sum of squares of all values, in double. */
    public static double squaredNorm(float[][] blocks) {
        double sum = 0.0;
        for (float[] row : blocks) {
            for (float v : row) {
                sum += (double) v * v;
            }
        }
        return sum;
    }

    /** {@code blocks *= factor}. */
    public static void scale(float[][] blocks, float factor) {
        for (float[] row : blocks) {
            for (int i = 0; i < row.length; i++) {
                row[i] *= factor;
            }
        }
    }

    /** {@code y += alpha * x} row by row. */
    public static void axpy(float alpha, float[][] x, float[][] y) {
        for (int r = 0; r < x.length; r++) {
            float[] xr = x[r];
            float[] yr = y[r];
            for (int i = 0; i < xr.length; i++) {
                yr[i] += alpha * xr[i];
            }
        }
    }
}
