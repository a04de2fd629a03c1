package io.sonaflink.bench;

import io.sonaflink.operators.background.BackgroundLoopConfig;
import io.sonaflink.operators.background.BackgroundLoopOperator;
import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.gate.AdapterGateFunction;
import io.sonaflink.state.cycle.BackgroundConfig;
import io.sonaflink.state.sample.TrajectorySample;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;
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

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One background window firing on the RocksDB backend: reading the 10 000-trajectory reservoir
 * out of state, the learning cycle (k-means++, bank merge, BaseLoRA with EWC++), writing the bank
 * and adapter back, and emitting the candidate, pattern snapshot and skill map. The window is
 * filled outside the measurement.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 8)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class BackgroundWindowFireBenchmark {

    private static final long INTERVAL = 1_000L;

    @Param({"100"})
    public int k;

    private List<TrajectorySample> window;
    private KeyedOneInputStreamOperatorTestHarness<String, Either<Trajectory, Trajectory>,
            Either<Trajectory, AdapterUpdate>> harness;
    private long now;

    @Setup(Level.Trial)
    public void prepare() {
        window = BenchmarkData.plantedTrajectories(BenchmarkData.WINDOW, BenchmarkData.DIM, k, BenchmarkData.SEED + 41);
    }

    @Setup(Level.Invocation)
    public void fillWindow() throws Exception {
        BackgroundLoopConfig config = new BackgroundLoopConfig(
                BenchmarkData.DIM, INTERVAL, BackgroundConfig.DEFAULT.withPatternClusters(k), BenchmarkData.SEED);
        harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new BackgroundLoopOperator(config), (Either<Trajectory, Trajectory> e) -> e.right().key().asString(),
                Types.STRING);
        harness.setStateBackend(InstantLoopOperatorBenchmark.rocksDb());
        harness.setup(AdapterGateFunction.INPUT_TYPE.createSerializer(new SerializerConfigImpl()));
        harness.open();
        now = 0;
        harness.setProcessingTime(now);
        AdapterKey key = new AdapterKey("acme", "support", "billing");
        int i = 0;
        for (TrajectorySample s : window) {
            harness.processElement(new StreamRecord<>(Either.Right(new Trajectory("t-" + i++, key, i, s.embedding(),
                    s.route(), s.discreteParams(), s.numericParams(), null, s.quality(), s.target(), s.weight()))));
        }
    }

    @Benchmark
    public int fire() throws Exception {
        harness.setProcessingTime(now + INTERVAL);
        return harness.getOutput().size();
    }

    @TearDown(Level.Invocation)
    public void close() throws Exception {
        if (harness.getOutput().isEmpty()) {
            throw new IllegalStateException("the window did not fire");
        }
        harness.close();
    }
}
