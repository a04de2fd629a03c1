package io.sonaflink.jobs.workload;

import io.sonaflink.operators.events.RawRecord;
import io.sonaflink.operators.parse.EventParser;
import io.sonaflink.operators.parse.ParseLimits;
import io.sonaflink.operators.parse.ParseResult;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class WorkloadGeneratorTest {

    private static final WorkloadSpec SPEC = new WorkloadSpec(3, 500, 32, 5, 4, 0.3, 0.02, 0.5, 11L);

    @Test
    void wellFormedLinesParseAndMalformedOnesAreRejected() {
        Workload w = WorkloadGenerator.generate(SPEC);
        ParseLimits limits = new ParseLimits(32, 1 << 20);
        int rejectedTrajectories = count(w.trajectories(), true, limits);
        int rejectedSignals = count(w.signals(), false, limits);

        assertThat(w.trajectories()).hasSize(3 * 500);
        assertThat(w.malformedTrajectories()).isPositive();
        assertThat(rejectedTrajectories).isEqualTo(w.malformedTrajectories());
        assertThat(rejectedSignals).isEqualTo(w.malformedSignals());
        assertThat(w.clusterOf()).hasSize(3 * 500 - w.malformedTrajectories());
        assertThat(w.signals().size()).isBetween(300, 600); // ~30 % of 1 500
    }

    @Test
    void sameSeedSameWorkload() {
        Workload a = WorkloadGenerator.generate(SPEC);
        Workload b = WorkloadGenerator.generate(SPEC);
        assertThat(a.trajectories()).zipSatisfy(b.trajectories(), (x, y) -> assertThat(x).isEqualTo(y));
        assertThat(a.clusterOf()).isEqualTo(b.clusterOf());
    }

    /** One linear map gives every correction of both tasks: a single served model can keep both. */
    @Test
    void oneLinearMapFitsBothTasks() {
        for (List<Workload.Probe> probes : WorkloadGenerator.generate(SPEC).probes().values()) {
            float[][] w = fit(probes, 1e-9);
            assertThat(relativeLoss(w, probes)).isLessThan(1e-4);
        }
    }

    /**
     * The tasks overlap only partly: what the first task teaches gets about a third of the second
     * right (the shared directions), the rest must be learned, and learning the second task alone
     * loses most of the first (so keeping it is the learner's work). The fits are ridge regressions
     * strong enough that the noise around the clusters teaches nothing, as with any learner that
     * follows the data's main directions; an exact fit would recover the whole map from the noise.
     */
    @Test
    void tasksOverlapOnlyPartly() {
        for (List<Workload.Probe> probes : WorkloadGenerator.generate(SPEC).probes().values()) {
            List<Workload.Probe> first = probes.stream().filter(p -> p.task() == 0).toList();
            List<Workload.Probe> second = probes.stream().filter(p -> p.task() == 1).toList();
            assertThat(relativeLoss(fit(first, 1.0), second)).isBetween(0.55, 0.95);
            assertThat(relativeLoss(fit(second, 1.0), first)).isBetween(0.55, 0.95);
            assertThat(relativeLoss(fit(first, 1.0), first)).isLessThan(0.1);
        }
    }

    /** Ridge least squares of the corrections {@code target - x} on the requests: {@code W} with {@code x + W x ~ target}. */
    private static float[][] fit(List<Workload.Probe> probes, double ridge) {
        int d = probes.get(0).embedding().length;
        double[][] a = new double[d][2 * d]; // [X^T X + ridge I | X^T R]
        for (Workload.Probe p : probes) {
            float[] x = p.embedding();
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    a[i][j] += x[i] * x[j];
                    a[i][d + j] += x[i] * (p.target()[j] - x[j]);
                }
            }
        }
        for (int i = 0; i < d; i++) {
            a[i][i] += ridge;
        }
        for (int c = 0; c < d; c++) { // Gauss-Jordan; the matrix is symmetric positive definite
            double pivot = a[c][c];
            for (int j = 0; j < 2 * d; j++) {
                a[c][j] /= pivot;
            }
            for (int i = 0; i < d; i++) {
                if (i != c && a[i][c] != 0) {
                    double f = a[i][c];
                    for (int j = 0; j < 2 * d; j++) {
                        a[i][j] -= f * a[c][j];
                    }
                }
            }
        }
        float[][] w = new float[d][d]; // w[out][in]
        for (int in = 0; in < d; in++) {
            for (int out = 0; out < d; out++) {
                w[out][in] = (float) a[in][d + out];
            }
        }
        return w;
    }

    /** Squared error of {@code x + W x} against the targets, relative to that of {@code x} (no adapter). */
    private static double relativeLoss(float[][] w, List<Workload.Probe> probes) {
        double fitted = 0;
        double none = 0;
        for (Workload.Probe p : probes) {
            float[] x = p.embedding();
            for (int out = 0; out < x.length; out++) {
                double y = x[out];
                for (int in = 0; in < x.length; in++) {
                    y += w[out][in] * x[in];
                }
                fitted += Math.pow(p.target()[out] - y, 2);
                none += Math.pow(p.target()[out] - x[out], 2);
            }
        }
        return fitted / none;
    }

    private static int count(List<byte[]> lines, boolean trajectories, ParseLimits limits) {
        int rejected = 0;
        for (int i = 0; i < lines.size(); i++) {
            RawRecord raw = new RawRecord(lines.get(i), "workload", -1, i);
            ParseResult<?> r = trajectories ? EventParser.parseTrajectory(raw, limits) : EventParser.parseSignal(raw, limits);
            if (r instanceof ParseResult.Rejected) {
                rejected++;
            }
        }
        return rejected;
    }
}
