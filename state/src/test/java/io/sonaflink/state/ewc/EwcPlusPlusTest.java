package io.sonaflink.state.ewc;

import io.sonaflink.state.lora.BaseLora;
import io.sonaflink.state.lora.BaseLoraConfig;
import io.sonaflink.state.lora.TrainingExample;
import io.sonaflink.state.lora.TrainingReport;
import io.sonaflink.state.math.DeterministicRandom;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EwcPlusPlusTest {

    private static final int DIM = 64;
    private static final int CYCLES_PER_TASK = 10;
    private static final int BATCH = 1000;

    /** EWC switched off in effect: the penalty is a billionth of the default. */
    private static final EwcConfig NO_EWC =
            new EwcConfig(1e-6f, 1e-6f, 1e-6f, 0.999f, 2.0f, 10, 100, 3, 0.95f, 0.2f);

    /**
     * Task A maps inputs on dims 0..5, task B inputs on dims 2..7, with independent (so
     * conflicting) linear corrections on the shared dims 2..5.
     */
    @Test
    void protectsTheOldTaskAndDetectsTheSwitch() {
        Task a = new Task(0, 6, new DeterministicRandom(100));
        Task b = new Task(2, 8, new DeterministicRandom(200));
        List<TrainingExample> heldOutA = a.examples(500, new DeterministicRandom(1));
        List<TrainingExample> heldOutB = b.examples(500, new DeterministicRandom(2));

        Run withEwc = run(EwcConfig.DEFAULT, a, b, heldOutA, heldOutB);
        Run withoutEwc = run(NO_EWC, a, b, heldOutA, heldOutB);

        // Task A was learned before B started.
        assertThat(withoutEwc.boundaryCycles).containsExactly(CYCLES_PER_TASK);
        assertThat(withEwc.qualityABefore).isGreaterThan(0.9);
        // Without EWC, learning B destroys much of A.
        assertThat(withoutEwc.retention()).as("retention without EWC").isLessThan(0.6);
        // With EWC, A keeps >= 95% of its quality and forgets at least 2x less.
        assertThat(withEwc.retention()).as("retention with EWC").isGreaterThanOrEqualTo(0.95);
        assertThat(withEwc.forgetting()).isLessThanOrEqualTo(0.5 * withoutEwc.forgetting());
        // B still learns some of what does not conflict with A (its dims 6..7), but far less than
        // unprotected training, which overwrites A.
        assertThat(withEwc.lossBAfter).isLessThan(0.95 * withEwc.lossBBefore);
        assertThat(withoutEwc.lossBAfter).isLessThan(0.01 * withoutEwc.lossBBefore);
        // Exactly one boundary, at the first cycle of task B.
        assertThat(withEwc.boundaryCycles).containsExactly(CYCLES_PER_TASK);
        assertThat(withEwc.base.ewc().tasks()).hasSize(1);
    }

    @Test
    void penaltyGradientMatchesFiniteDifferences() {
        int rows = 5;
        int cols = 8;
        DeterministicRandom random = new DeterministicRandom(9);
        List<ConsolidatedTask> tasks = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            float[][] fisher = gaussianBlocks(rows, cols, random);
            for (float[] row : fisher) {
                for (int i = 0; i < cols; i++) {
                    row[i] = Math.abs(row[i]);
                }
            }
            tasks.add(new ConsolidatedTask(gaussianBlocks(rows, cols, random), fisher, 1f, 0.1f));
        }
        EwcPlusPlus ewc = new EwcPlusPlus(new float[rows][cols], 0f, tasks, new float[100], 0, 0, 2000f, 3, 0f, 0f);
        float[][] theta = gaussianBlocks(rows, cols, random);
        float[][] analytic = new float[rows][cols];
        ewc.addPenaltyGradient(theta, analytic);

        double h = 1e-4;
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < rows * cols; i++) {
            double numeric = (referencePenalty(tasks, theta, i, h, 2000.0) - referencePenalty(tasks, theta, i, -h, 2000.0))
                    / (2 * h);
            float a = analytic[i / cols][i % cols];
            diff += (a - numeric) * (a - numeric);
            norm += numeric * numeric;
        }
        assertThat(Math.sqrt(diff / norm)).isLessThan(1e-4);
        assertThat((double) ewc.penalty(theta)).isCloseTo(referencePenalty(tasks, theta, -1, 0, 2000.0),
                org.assertj.core.data.Percentage.withPercentage(1e-3));
    }

    @Test
    void keepsAtMostMaxTasks() {
        EwcConfig twoTasks = new EwcConfig(2000f, 100f, 15000f, 0.999f, 2.0f, 2, 100, 3, 0.95f, 0.2f);
        EwcPlusPlus ewc = EwcPlusPlus.create(new float[1][3], twoTasks);
        for (int t = 0; t < 4; t++) {
            ewc.accumulateFisher(new float[][] {{1f, 2f, 3f}}, twoTasks);
            ewc.consolidate(new float[][] {{t, t, t}}, twoTasks);
        }
        assertThat(ewc.tasks()).hasSize(2);
        assertThat(ewc.tasks().get(0).anchor()[0]).containsExactly(2f, 2f, 2f);
        assertThat(ewc.tasks().get(1).anchor()[0]).containsExactly(3f, 3f, 3f);
        // Bias-corrected: a constant squared gradient is the Fisher estimate, whatever the sample count.
        assertThat(ewc.tasks().get(1).fisher()[0]).containsExactly(new float[] {1f, 4f, 9f},
                org.assertj.core.data.Offset.offset(1e-4f));
    }

    @Test
    void lambdaRisesWhenAnOldTaskIsOverBudgetAndStaysInRange() {
        EwcConfig config = EwcConfig.DEFAULT;
        ConsolidatedTask task = new ConsolidatedTask(new float[][] {{0f}}, new float[][] {{1f}}, 1f, 0f);
        EwcPlusPlus ewc = new EwcPlusPlus(new float[1][1], 0f, List.of(task), new float[100], 0, 0, 2000f, 1, 0f, 0f);
        // drift 1/2 * 1 * 1^2 = 0.5 against a budget of 0.05 * 1: over budget
        for (int i = 0; i < 10; i++) {
            ewc.observeCycleEnd(0f, new float[][] {{1f}}, config);
        }
        assertThat(ewc.lambda()).isEqualTo(config.maxLambda());
        // no drift at all: far under budget
        for (int i = 0; i < 40; i++) {
            ewc.observeCycleEnd(0f, new float[][] {{0f}}, config);
        }
        assertThat(ewc.lambda()).isEqualTo(config.minLambda());
    }

    /** The penalty in double with value {@code index} (row-major over the blocks) shifted by {@code h}. */
    private static double referencePenalty(List<ConsolidatedTask> tasks, float[][] theta, int index, double h, double lambda) {
        double sum = 0;
        int cols = theta[0].length;
        for (ConsolidatedTask t : tasks) {
            for (int i = 0; i < theta.length * cols; i++) {
                int r = i / cols;
                int c = i % cols;
                double v = theta[r][c] + (i == index ? h : 0);
                double d = v - t.anchor()[r][c];
                sum += t.fisher()[r][c] * d * d;
            }
        }
        return 0.5 * lambda * sum;
    }

    private static Run run(EwcConfig ewcConfig, Task a, Task b, List<TrainingExample> heldOutA, List<TrainingExample> heldOutB) {
        BaseLoraConfig config = BaseLoraConfig.DEFAULT;
        BaseLora base = BaseLora.create(DIM, config, ewcConfig, 12L);
        Run run = new Run(base);
        float identityLossA = base.meanLoss(heldOutA);
        DeterministicRandom random = new DeterministicRandom(55);
        int cycle = 0;
        for (int i = 0; i < CYCLES_PER_TASK; i++, cycle++) {
            record(run, cycle, base.train(a.examples(BATCH, random), config, ewcConfig));
        }
        run.lossABefore = base.meanLoss(heldOutA);
        run.lossBBefore = base.meanLoss(heldOutB);
        for (int i = 0; i < CYCLES_PER_TASK; i++, cycle++) {
            record(run, cycle, base.train(b.examples(BATCH, random), config, ewcConfig));
        }
        run.lossAAfter = base.meanLoss(heldOutA);
        run.lossBAfter = base.meanLoss(heldOutB);
        run.qualityABefore = 1.0 - run.lossABefore / identityLossA;
        run.qualityAAfter = 1.0 - run.lossAAfter / identityLossA;
        return run;
    }

    private static void record(Run run, int cycle, TrainingReport report) {
        if (report.taskBoundary()) {
            run.boundaryCycles.add(cycle);
        }
    }

    private static final class Run {
        final BaseLora base;
        final List<Integer> boundaryCycles = new ArrayList<>();
        double lossABefore;
        double lossAAfter;
        double lossBBefore;
        double lossBAfter;
        double qualityABefore;
        double qualityAAfter;

        Run(BaseLora base) {
            this.base = base;
        }

        double retention() {
            return qualityAAfter / qualityABefore;
        }

        double forgetting() {
            return lossAAfter - lossABefore;
        }

        @Override
        public String toString() {
            return String.format("A %.5f -> %.5f (quality %.4f -> %.4f), B %.5f -> %.5f, boundaries %s, lambda %.1f",
                    lossABefore, lossAAfter, qualityABefore, qualityAAfter, lossBBefore, lossBAfter, boundaryCycles,
                    base.ewc().lambda());
        }
    }

    /** Inputs supported on dims [from, to); target {@code x + M x} with a random M on those columns. */
    private static final class Task {
        final int from;
        final int to;
        final float[][] columns;

        Task(int from, int to, DeterministicRandom random) {
            this.from = from;
            this.to = to;
            this.columns = new float[to - from][DIM];
            for (float[] c : columns) {
                for (int i = 0; i < DIM; i++) {
                    c[i] = (float) (random.nextGaussian() / Math.sqrt(DIM));
                }
            }
        }

        List<TrainingExample> examples(int n, DeterministicRandom random) {
            List<TrainingExample> out = new ArrayList<>(n);
            for (int s = 0; s < n; s++) {
                float[] x = new float[DIM];
                float[] y = new float[DIM];
                for (int j = from; j < to; j++) {
                    x[j] = (float) random.nextGaussian();
                }
                System.arraycopy(x, 0, y, 0, DIM);
                for (int j = from; j < to; j++) {
                    float[] c = columns[j - from];
                    for (int i = 0; i < DIM; i++) {
                        y[i] += c[i] * x[j];
                    }
                }
                out.add(new TrainingExample(x, y, 1f));
            }
            return out;
        }
    }

    private static float[][] gaussianBlocks(int rows, int cols, DeterministicRandom random) {
        float[][] blocks = new float[rows][cols];
        for (float[] row : blocks) {
            for (int i = 0; i < cols; i++) {
                row[i] = (float) random.nextGaussian();
            }
        }
        return blocks;
    }
}
