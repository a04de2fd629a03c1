package io.sonaflink.bench;

import io.sonaflink.state.lora.LoraWorkspace;
import io.sonaflink.state.lora.MicroLora;
import io.sonaflink.state.lora.MicroLoraConfig;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * One instant-loop step: {@link MicroLora#observe} of one corrective event at d = 256, rank 2,
 * learning rate 0.002, flushEvery 1 (forward pass, exact gradient, SGD update). Target: at most
 * 2 µs per event.
 *
 * <p>Events cycle through {@value #EVENTS} pre-generated pairs so the measurement does not see a
 * single cached example; the adapter is reset to the same fresh weights at every iteration. The
 * measured path allocates nothing: the workspace is created once, as an operator would.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MicroLoraStepBenchmark {

    /** Pre-generated events; a power of two so the cursor wraps with a mask. */
    static final int EVENTS = 1024;

    private static final MicroLoraConfig CONFIG = new MicroLoraConfig(2, 2f, 0.002f, 1);

    private float[][] inputs;
    private float[][] targets;
    private MicroLora initial;
    private MicroLora lora;
    private LoraWorkspace workspace;
    private int cursor;

    @Setup(Level.Trial)
    public void prepare() {
        BenchmarkData.Examples events =
                BenchmarkData.correctiveEvents(EVENTS, BenchmarkData.DIM, BenchmarkData.SEED + 11);
        inputs = events.inputs();
        targets = events.targets();
        initial = MicroLora.create(BenchmarkData.DIM, CONFIG, BenchmarkData.SEED + 12);
        workspace = initial.adapter().newWorkspace();
    }

    @Setup(Level.Iteration)
    public void resetAdapter() {
        lora = initial.copy();
        cursor = 0;
    }

    @Benchmark
    public float observe() {
        int i = cursor;
        cursor = (i + 1) & (EVENTS - 1);
        return lora.observe(inputs[i], targets[i], 1f, CONFIG, workspace);
    }
}
