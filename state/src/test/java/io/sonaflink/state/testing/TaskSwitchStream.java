package io.sonaflink.state.testing;

import io.sonaflink.state.lora.TrainingExample;
import io.sonaflink.state.math.DeterministicRandom;

import java.util.ArrayList;
import java.util.List;

/**
 * A continual-learning stream with a task switch: each task is its own region of request space
 * (planted clusters) with its own low-rank linear correction {@code y = x + U V^T x}. Requests are
 * unit-scale ({@code N(0, 1/d)} centres) with 15 % cluster noise, as in the built-in workload.
 * Training windows and held-out sets are drawn from separate random streams.
 */
public final class TaskSwitchStream {

    private final int dim;
    private final Task[] tasks;

    /** One task: its cluster centres and its correction. */
    public record Task(float[][] centres, float[] u, float[] v, int rank) {}

    public TaskSwitchStream(int dim, int tasks, int clustersPerTask, int mapRank, long seed) {
        this.dim = dim;
        this.tasks = new Task[tasks];
        DeterministicRandom random = new DeterministicRandom(seed);
        double scale = 1.0 / Math.sqrt(dim);
        for (int t = 0; t < tasks; t++) {
            float[][] centres = new float[clustersPerTask][];
            for (int c = 0; c < clustersPerTask; c++) {
                centres[c] = Fixtures.gaussianVector(dim, scale, random);
            }
            this.tasks[t] = new Task(centres, Fixtures.gaussian(dim, mapRank, scale, random),
                    Fixtures.gaussian(dim, mapRank, scale, random), mapRank);
        }
    }

    public int dim() {
        return dim;
    }

    /** {@code n} examples of {@code task}, drawn from {@code random}. */
    public List<TrainingExample> examples(int task, int n, DeterministicRandom random) {
        Task t = tasks[task];
        double noise = 0.15 / Math.sqrt(dim);
        List<TrainingExample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] centre = t.centres()[random.nextInt(t.centres().length)];
            float[] x = new float[dim];
            for (int j = 0; j < dim; j++) {
                x[j] = centre[j] + (float) (noise * random.nextGaussian());
            }
            out.add(new TrainingExample(x, Fixtures.applyLowRank(x, t.u(), t.v(), t.rank()), 1f));
        }
        return out;
    }
}
