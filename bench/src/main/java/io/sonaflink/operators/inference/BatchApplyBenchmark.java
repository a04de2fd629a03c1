package io.sonaflink.operators.inference;

import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.serving.LowRankDelta;
import io.sonaflink.state.serving.ServedModel;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The batched adapter product alone: {@code batch} queries over 64 keys' stacks of rank {@code
 * rank} at dimension {@code dim}, in plain Java or through DJL on the CPU or a GPU (device GPU
 * needs CUDA natives: {@code bin/gpu-inference-bench}). One operation is one batch; queries/s =
 * batch / time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BatchApplyBenchmark {

    static final int KEYS = 64;

    @Param({"1", "64", "1024", "4096"})
    public int batch;

    @Param({"2", "8"})
    public int rank;

    @Param({"256", "1024", "4096"})
    public int dim;

    @Param({"JAVA", "CPU"})
    public InferenceDevice device;

    private BatchApply apply;
    private float[][] xs;
    private float[][] outs;
    private LowRankDelta[] deltas;

    @Setup(Level.Trial)
    public void prepare() {
        apply = device == InferenceDevice.JAVA ? new BatchApply.Java() : DjlBatchApply.open(device);
        DeterministicRandom random = new DeterministicRandom(42L);
        LowRankDelta[] stacks = new LowRankDelta[KEYS];
        for (int k = 0; k < KEYS; k++) {
            LoraAdapter adapter = LoraAdapter.initialize(dim, rank, 1, 2f * rank, k);
            for (int j = 0; j < rank; j++) {
                float[] column = adapter.bColumn(0, j);
                for (int i = 0; i < dim; i++) {
                    column[i] = (float) (random.nextDouble() - 0.5);
                }
            }
            stacks[k] = LowRankDelta.of(new ServedModel(null, adapter), dim);
        }
        xs = new float[batch][dim];
        outs = new float[batch][dim];
        deltas = new LowRankDelta[batch];
        for (int q = 0; q < batch; q++) {
            for (int i = 0; i < dim; i++) {
                xs[q][i] = (float) (random.nextDouble() * 2 - 1);
            }
            deltas[q] = stacks[(int) (random.nextDouble() * KEYS)];
        }
    }

    @Benchmark
    public float[][] apply() {
        apply.apply(xs, deltas, batch, outs);
        return outs;
    }

    @TearDown(Level.Trial)
    public void close() {
        apply.close();
    }
}
