package io.sonaflink.state.lora;

import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.testing.Fixtures;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LoraAdapterTest {

    @Test
    void newAdapterIsTheIdentity() {
        LoraAdapter adapter = LoraAdapter.initialize(64, 2, 2, 2f, 11L);
        float[] x = Fixtures.gaussianVector(64, 1.0, new DeterministicRandom(1));
        assertThat(adapter.apply(x)).containsExactly(x);
    }

    @Test
    void initialAIsSmallAndSeeded() {
        LoraAdapter a = LoraAdapter.initialize(256, 8, 1, 16f, 5L);
        LoraAdapter b = LoraAdapter.initialize(256, 8, 1, 16f, 5L);
        assertThat(a).isEqualTo(b);
        float bound = 1f / 16f;
        for (int k = 0; k < 8; k++) {
            for (float v : a.aRow(0, k)) {
                assertThat(Math.abs(v)).isLessThanOrEqualTo(bound);
            }
            assertThat(a.bColumn(0, k)).containsOnly(0f);
        }
        assertThat(a.scale()).isEqualTo(2f);
    }

    /** Analytic gradient against central finite differences of an independent double-precision forward. */
    @ParameterizedTest(name = "dim={0} rank={1} layers={2}")
    @CsvSource({"32, 1, 1", "32, 2, 1", "24, 8, 1", "16, 3, 2", "12, 2, 3"})
    void gradientMatchesFiniteDifferences(int dim, int rank, int layers) {
        DeterministicRandom random = new DeterministicRandom(dim * 31L + rank * 7L + layers);
        LoraAdapter adapter = LoraAdapter.initialize(dim, rank, layers, 2f * rank, random.nextLong());
        for (float[] row : adapter.weights()) {
            for (int i = 0; i < row.length; i++) {
                row[i] = (float) (0.3 * random.nextGaussian()); // B != 0 so that dL/dA is not trivially zero
            }
        }
        int p = adapter.parameterCount();
        float[] x = Fixtures.gaussianVector(dim, 1.0, random);
        float[] y = Fixtures.gaussianVector(dim, 1.0, random);
        float w = 0.7f;

        float[][] gradient = adapter.newBlocks();
        float loss = adapter.accumulateGradient(x, y, w, gradient, adapter.newWorkspace());
        float[] analytic = flatten(gradient);
        double[] theta = toDouble(flatten(adapter.weights()));
        assertThat((double) loss).isCloseTo(referenceLoss(adapter, theta, x, y, w), relative(1e-5));

        double h = 1e-5;
        double[] numeric = new double[p];
        for (int i = 0; i < p; i++) {
            double saved = theta[i];
            theta[i] = saved + h;
            double plus = referenceLoss(adapter, theta, x, y, w);
            theta[i] = saved - h;
            double minus = referenceLoss(adapter, theta, x, y, w);
            theta[i] = saved;
            numeric[i] = (plus - minus) / (2 * h);
        }
        assertThat(relativeError(analytic, numeric, 0, rank * dim)).as("dL/dA layer 0").isLessThan(1e-4);
        assertThat(relativeError(analytic, numeric, rank * dim, 2 * rank * dim)).as("dL/dB layer 0").isLessThan(1e-4);
        assertThat(relativeError(analytic, numeric, 0, p)).as("all parameters").isLessThan(1e-4);
    }

    @Test
    void rejectsWrongDimension() {
        LoraAdapter adapter = LoraAdapter.initialize(8, 2, 1, 2f, 1L);
        assertThatThrownBy(() -> adapter.apply(new float[7])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LoraAdapter(8, 2, 1, 2f, new float[3][8])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LoraAdapter(8, 2, 1, 2f, new float[4][7])).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * w/2 ||f(x) - y||^2 computed in double from scratch, independent of the adapter's code, from
     * the flattened blocks (row {@code l*2r + k} is A_l[k,:], row {@code l*2r + r + k} is B_l[:,k]).
     */
    static double referenceLoss(LoraAdapter shape, double[] theta, float[] x, float[] y, float w) {
        int d = shape.dim();
        int r = shape.rank();
        double s = shape.scale();
        double[] cur = new double[d];
        for (int j = 0; j < d; j++) {
            cur[j] = x[j];
        }
        for (int l = 0; l < shape.layers(); l++) {
            int aOff = l * 2 * r * d;
            int bOff = aOff + r * d; // B_l[i,k] at bOff + k*d + i
            double[] hidden = new double[r];
            for (int k = 0; k < r; k++) {
                for (int j = 0; j < d; j++) {
                    hidden[k] += theta[aOff + k * d + j] * cur[j];
                }
            }
            double[] next = cur.clone();
            for (int i = 0; i < d; i++) {
                for (int k = 0; k < r; k++) {
                    next[i] += s * theta[bOff + k * d + i] * hidden[k];
                }
            }
            cur = next;
        }
        double sum = 0;
        for (int i = 0; i < d; i++) {
            sum += (cur[i] - y[i]) * (cur[i] - y[i]);
        }
        return 0.5 * w * sum;
    }

    static double relativeError(float[] analytic, double[] numeric, int from, int to) {
        double diff = 0;
        double na = 0;
        double nn = 0;
        for (int i = from; i < to; i++) {
            diff += (analytic[i] - numeric[i]) * (analytic[i] - numeric[i]);
            na += (double) analytic[i] * analytic[i];
            nn += numeric[i] * numeric[i];
        }
        return Math.sqrt(diff) / Math.max(Math.sqrt(Math.max(na, nn)), 1e-12);
    }

    static float[] flatten(float[][] blocks) {
        int n = 0;
        for (float[] row : blocks) {
            n += row.length;
        }
        float[] flat = new float[n];
        int off = 0;
        for (float[] row : blocks) {
            System.arraycopy(row, 0, flat, off, row.length);
            off += row.length;
        }
        return flat;
    }

    static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    private static org.assertj.core.data.Percentage relative(double fraction) {
        return org.assertj.core.data.Percentage.withPercentage(fraction * 100);
    }
}
