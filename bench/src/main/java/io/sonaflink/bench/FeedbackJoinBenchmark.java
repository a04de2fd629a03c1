package io.sonaflink.bench;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.TrainingSignal;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.feedback.FeedbackJoinConfig;
import io.sonaflink.operators.feedback.FeedbackJoinFunction;
import io.sonaflink.operators.feedback.FeedbackJoinOperator;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
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

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One trajectory through the feedback join on RocksDB, its whole life: its arrival (duplicate
 * check, kept in map state), its move on to the learners after the hold, and its forgetting after
 * the late retention, driven by Flink's operator test harness with processing time advanced 1 ms
 * per trajectory (hold 2 000, retention 4 000 trajectories; 64 keys). Every trajectory carries no
 * target, so nothing but the join's own work is measured. With {@code cachedArrivals = 0} every
 * step reads the state backend, as before the join held its latest arrivals on the heap; with
 * 1 024, about half of the 2 000 waiting trajectories are held.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FeedbackJoinBenchmark {

    static final int VECTORS = 1024;
    static final int KEYS = 64;

    /** Arrivals held on the heap ({@code sona.feedback.cached-arrivals}); 0 reads everything from RocksDB. */
    @Param({"0", "1024", "32768"})
    public int cachedArrivals;

    private KeyedTwoInputStreamOperatorTestHarness<String, Trajectory, TrainingSignal, Either<Trajectory, Trajectory>>
            harness;
    private float[][] vectors;
    private AdapterKey[] keys;
    private long next;

    @Setup(Level.Trial)
    public void prepare() throws Exception {
        vectors = BenchmarkData.unitScaleVectors(VECTORS, BenchmarkData.DIM, BenchmarkData.SEED + 51);
        keys = new AdapterKey[KEYS];
        for (int k = 0; k < KEYS; k++) {
            keys[k] = new AdapterKey("tenant-" + k, "persona", "domain");
        }
        harness = new KeyedTwoInputStreamOperatorTestHarness<>(
                new FeedbackJoinOperator(new FeedbackJoinFunction(new FeedbackJoinConfig(2_000L, 2_000L, 20_000, cachedArrivals)), KEYS),
                t -> t.key().asString(), s -> s.key().asString(), Types.STRING);
        harness.setStateBackend(InstantLoopOperatorBenchmark.rocksDb());
        harness.setup(FeedbackJoinFunction.OUTPUT_TYPE.createSerializer(new SerializerConfigImpl()));
        harness.open();
    }

    @Benchmark
    public void trajectory() throws Exception {
        long i = next++;
        harness.setProcessingTime(i);
        harness.processElement1(new StreamRecord<>(new Trajectory("t-" + i, keys[(int) (i % KEYS)], i,
                vectors[(int) (i % VECTORS)], "route-" + (i % 4), Map.of(), Map.of(), null, 0.8f, null, 1f)));
        if (i % 1024 == 1023) {
            harness.getOutput().clear(); // keep the collected output bounded
        }
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        harness.close();
    }
}
