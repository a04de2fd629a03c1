package io.sonaflink.state.ewc;

import io.sonaflink.state.lora.BaseLora;
import io.sonaflink.state.lora.BaseLoraConfig;
import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.LoraWorkspace;
import io.sonaflink.state.lora.TrainingExample;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.testing.Fixtures;
import io.sonaflink.state.testing.TaskSwitchStream;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EwcPlusPlusTest {

    private static final int DIM = 32;

    @Test
    void boundaryFiresAtTheSwitchAndOnlyThere() {
        TaskSwitchStream stream = new TaskSwitchStream(DIM, 2, 6, 2, 3L);
        BaseLora base = BaseLora.create(DIM, BaseLoraConfig.DEFAULT, EwcConfig.DEFAULT, 1L);
        DeterministicRandom random = new DeterministicRandom(4);
        List<Integer> boundaries = new ArrayList<>();
        for (int cycle = 0; cycle < 16; cycle++) {
            int task = cycle < 8 ? 0 : 1;
            if (base.train(stream.examples(task, 300, random), BaseLoraConfig.DEFAULT, EwcConfig.DEFAULT)
                    .taskBoundary()) {
                boundaries.add(cycle);
            }
        }
        assertThat(boundaries).containsExactly(8);
        assertThat(base.ewc().tasks()).singleElement().satisfies(t -> assertThat(t.size()).isEqualTo(64));
        assertThat(base.ewc().boundariesDetected()).isEqualTo(1);
    }

    /**
     * A processing-time window rarely ends at a task switch: with any share of the new task in the
     * window of the switch, exactly one boundary fires, in that window or the next.
     */
    @Test
    void aSwitchInsideAWindowIsDetectedWithinTwoCycles() {
        BaseLoraConfig d = BaseLoraConfig.DEFAULT;
        for (float lr : new float[] {0.001f, 0.005f}) {
            BaseLoraConfig config = new BaseLoraConfig(d.rank(), d.alpha(), d.layers(), lr, d.epochs(), d.batchSize(),
                    d.probeSamples());
            for (int window : new int[] {60, 150}) {
                for (double share : new double[] {0.1, 0.3, 0.5, 0.7, 0.9}) {
                    for (long seed : new long[] {1, 2, 3}) {
                        TaskSwitchStream stream = new TaskSwitchStream(64, 2, 8, 2, seed);
                        BaseLora base = BaseLora.create(64, config, EwcConfig.DEFAULT, 5L);
                        DeterministicRandom random = new DeterministicRandom(seed);
                        List<Integer> boundaries = new ArrayList<>();
                        for (int cycle = 0; cycle < 12; cycle++) {
                            List<TrainingExample> batch = new ArrayList<>();
                            int ofB = cycle < 8 ? 0 : cycle == 8 ? (int) (share * window) : window;
                            batch.addAll(stream.examples(0, window - ofB, random));
                            batch.addAll(stream.examples(1, ofB, random));
                            if (base.train(batch, config, EwcConfig.DEFAULT).taskBoundary()) {
                                boundaries.add(cycle);
                            }
                        }
                        assertThat(boundaries).as("lr %s, window %d, share %.1f, seed %d", lr, window, share, seed)
                                .hasSize(1).allSatisfy(c -> assertThat(c).isBetween(8, 9));
                    }
                }
            }
        }
    }

    /** 50 cycles of one task, with noisy targets: at most one false boundary. */
    @Test
    void stationaryStreamStaysQuiet() {
        for (long seed : new long[] {1, 2, 3}) {
            TaskSwitchStream stream = new TaskSwitchStream(DIM, 1, 6, 2, seed);
            BaseLora base = BaseLora.create(DIM, BaseLoraConfig.DEFAULT, EwcConfig.DEFAULT, seed);
            DeterministicRandom random = new DeterministicRandom(seed + 10);
            int boundaries = 0;
            for (int cycle = 0; cycle < 50; cycle++) {
                List<TrainingExample> batch = withTargetNoise(stream.examples(0, 200, random), 0.02, random);
                boundaries += base.train(batch, BaseLoraConfig.DEFAULT, EwcConfig.DEFAULT).taskBoundary() ? 1 : 0;
            }
            assertThat(boundaries).as("false boundaries with seed %d", seed).isLessThanOrEqualTo(1);
        }
    }

    @Test
    void switchedOffItRemembersNothingButStillReportsBoundaries() {
        EwcConfig off = EwcConfig.DEFAULT.disabled();
        TaskSwitchStream stream = new TaskSwitchStream(DIM, 2, 6, 2, 3L);
        BaseLora base = BaseLora.create(DIM, BaseLoraConfig.DEFAULT, off, 1L);
        DeterministicRandom random = new DeterministicRandom(4);
        int boundaries = 0;
        for (int cycle = 0; cycle < 16; cycle++) {
            var report = base.train(stream.examples(cycle < 8 ? 0 : 1, 300, random), BaseLoraConfig.DEFAULT, off);
            boundaries += report.taskBoundary() ? 1 : 0;
            assertThat(report.penalty()).isZero();
            assertThat(report.lambda()).isZero();
        }
        assertThat(boundaries).isEqualTo(1);
        assertThat(base.ewc().tasks()).isEmpty();
        assertThat(base.ewc().taskInputCount()).isZero();
    }

    @Test
    void penaltyGradientMatchesFiniteDifferences() {
        DeterministicRandom random = new DeterministicRandom(9);
        LoraAdapter anchor = trainedAdapter(random);
        List<ConsolidatedTask> tasks = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            float[][] inputs = new float[5][];
            for (int i = 0; i < inputs.length; i++) {
                inputs[i] = Fixtures.gaussianVector(DIM, 1.0, random);
            }
            tasks.add(ConsolidatedTask.of(anchor, inputs, 1f, 0.1f));
        }
        EwcPlusPlus ewc = new EwcPlusPlus(DIM, tasks, new float[0][DIM], 0, 0L, new float[10], 0, 0, 1.5f, 2L,
                Float.NaN, Float.NaN);
        LoraAdapter moved = trainedAdapter(new DeterministicRandom(10));
        float[][] analytic = moved.newBlocks();
        ewc.addPenaltyGradient(moved, analytic, moved.newWorkspace(), 10, random); // 10 inputs: exact

        double h = 1e-3;
        double diff = 0;
        double norm = 0;
        float[][] w = moved.weights();
        for (int r = 0; r < w.length; r++) {
            for (int c = 0; c < DIM; c++) {
                float keep = w[r][c];
                w[r][c] = (float) (keep + h);
                double plus = referencePenalty(tasks, moved, 1.5);
                w[r][c] = (float) (keep - h);
                double minus = referencePenalty(tasks, moved, 1.5);
                w[r][c] = keep;
                double numeric = (plus - minus) / (2 * h);
                diff += (analytic[r][c] - numeric) * (analytic[r][c] - numeric);
                norm += numeric * numeric;
            }
        }
        assertThat(norm).isPositive();
        assertThat(Math.sqrt(diff / norm)).isLessThan(2e-2);
        assertThat((double) ewc.penalty(moved)).isCloseTo(referencePenalty(tasks, moved, 1.5),
                org.assertj.core.data.Percentage.withPercentage(1e-3));
        assertThat(ewc.penalty(anchor)).isZero();
    }

    /** With more remembered inputs than the step's budget the gradient is sampled, without bias. */
    @Test
    void sampledPenaltyGradientIsUnbiased() {
        DeterministicRandom random = new DeterministicRandom(21);
        LoraAdapter anchor = trainedAdapter(random);
        List<ConsolidatedTask> tasks = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            float[][] inputs = new float[4 + t][];
            for (int i = 0; i < inputs.length; i++) {
                inputs[i] = Fixtures.gaussianVector(DIM, 1.0, random);
            }
            tasks.add(ConsolidatedTask.of(anchor, inputs, 1f, 0.1f));
        }
        EwcPlusPlus ewc = new EwcPlusPlus(DIM, tasks, new float[0][DIM], 0, 0L, new float[10], 0, 0, 1f, 3L,
                Float.NaN, Float.NaN);
        LoraAdapter moved = trainedAdapter(new DeterministicRandom(22));
        LoraWorkspace ws = moved.newWorkspace();
        float[][] exact = moved.newBlocks();
        ewc.addPenaltyGradient(moved, exact, ws, 100, random);
        float[][] mean = moved.newBlocks();
        int draws = 4000;
        for (int d = 0; d < draws; d++) {
            ewc.addPenaltyGradient(moved, mean, ws, 4, random);
        }
        double diff = 0;
        double norm = 0;
        for (int r = 0; r < exact.length; r++) {
            for (int c = 0; c < DIM; c++) {
                double m = mean[r][c] / draws;
                diff += (m - exact[r][c]) * (m - exact[r][c]);
                norm += (double) exact[r][c] * exact[r][c];
            }
        }
        assertThat(Math.sqrt(diff / norm)).isLessThan(0.05);
    }

    @Test
    void keepsAtMostMaxTasks() {
        EwcConfig twoTasks = new EwcConfig(1f, 0.25f, 16f, 4, 2.0f, 2, 100, 3, 0.9f, 0.5f);
        LoraAdapter adapter = LoraAdapter.initialize(3, 1, 1, 1f, 1L);
        EwcPlusPlus ewc = EwcPlusPlus.create(3, twoTasks);
        DeterministicRandom random = new DeterministicRandom(1);
        for (int t = 0; t < 4; t++) {
            ewc.observeInput(new float[] {t, t, t}, twoTasks, random);
            ewc.consolidate(adapter, twoTasks);
        }
        assertThat(ewc.tasks()).hasSize(2);
        assertThat(ewc.tasks().get(0).inputs()[0]).containsExactly(2f, 2f, 2f);
        assertThat(ewc.tasks().get(1).inputs()[0]).containsExactly(3f, 3f, 3f);
        assertThat(ewc.tasks().get(1).anchorOutputs()[0]).containsExactly(adapter.apply(new float[] {3f, 3f, 3f}));
    }

    /** Every input of a task has the same chance to be in its sample, whichever cycle it came in. */
    @Test
    void taskSampleIsUniformOverTheTask() {
        EwcConfig config = new EwcConfig(1f, 0.25f, 16f, 10, 2.0f, 10, 100, 3, 0.9f, 0.5f);
        long[] counts = new long[100];
        DeterministicRandom random = new DeterministicRandom(5);
        int trials = 4000;
        for (int trial = 0; trial < trials; trial++) {
            EwcPlusPlus ewc = EwcPlusPlus.create(1, config);
            for (int i = 0; i < counts.length; i++) {
                ewc.observeInput(new float[] {i}, config, random);
            }
            for (int s = 0; s < ewc.taskInputCount(); s++) {
                counts[(int) ewc.taskInputs()[s][0]]++;
            }
        }
        double[] uniform = new double[counts.length];
        java.util.Arrays.fill(uniform, 1.0 / counts.length);
        // 99 degrees of freedom: the 0.999 quantile is about 148
        assertThat(Fixtures.chiSquare(counts, uniform)).isLessThan(148);
    }

    @Test
    void lambdaRisesWhenAnOldTaskIsOverBudgetAndStaysInRange() {
        EwcConfig config = EwcConfig.DEFAULT;
        LoraAdapter anchor = LoraAdapter.initialize(2, 1, 1, 1f, 1L);
        ConsolidatedTask task = ConsolidatedTask.of(anchor, new float[][] {{1f, 0f}}, 1f, 0f);
        EwcPlusPlus ewc = new EwcPlusPlus(2, List.of(task), new float[0][2], 0, 0L, new float[100], 0, 0, 1f, 1L,
                0f, 0f);
        LoraAdapter drifted = anchor.copy();
        drifted.bColumn(0, 0)[0] = 10f; // f(x) moves by s * 10 * (A x): far over a budget of 0.1
        for (int i = 0; i < 10; i++) {
            ewc.observeCycleEnd(0f, drifted, config);
        }
        assertThat(ewc.lambda()).isEqualTo(config.maxLambda());
        for (int i = 0; i < 40; i++) {
            ewc.observeCycleEnd(0f, anchor, config); // no drift at all: far under budget
        }
        assertThat(ewc.lambda()).isEqualTo(config.minLambda());
    }

    private static LoraAdapter trainedAdapter(DeterministicRandom random) {
        LoraAdapter adapter = LoraAdapter.initialize(DIM, 2, 1, 2f, random.nextLong());
        for (float[] row : adapter.weights()) {
            for (int i = 0; i < DIM; i++) {
                row[i] += (float) (0.2 * random.nextGaussian());
            }
        }
        return adapter;
    }

    /** {@code lambda * sum_t 1/2 mean ||f(x) - f*(x)||^2} in double precision. */
    private static double referencePenalty(List<ConsolidatedTask> tasks, LoraAdapter adapter, double lambda) {
        double sum = 0;
        for (ConsolidatedTask t : tasks) {
            double task = 0;
            for (int i = 0; i < t.size(); i++) {
                float[] out = adapter.apply(t.inputs()[i]);
                for (int j = 0; j < out.length; j++) {
                    double d = (double) out[j] - t.anchorOutputs()[i][j];
                    task += 0.5 * d * d;
                }
            }
            sum += task / t.size();
        }
        return lambda * sum;
    }

    private static List<TrainingExample> withTargetNoise(List<TrainingExample> batch, double sigma,
            DeterministicRandom random) {
        List<TrainingExample> out = new ArrayList<>(batch.size());
        for (TrainingExample e : batch) {
            float[] y = e.target().clone();
            for (int j = 0; j < y.length; j++) {
                y[j] += (float) (sigma / Math.sqrt(y.length) * random.nextGaussian());
            }
            out.add(new TrainingExample(e.input(), y, e.weight()));
        }
        return out;
    }
}
