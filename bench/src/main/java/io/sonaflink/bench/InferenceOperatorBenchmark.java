package io.sonaflink.bench;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.AdapterUpdateCodec;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.events.Query;
import io.sonaflink.operators.events.Response;
import io.sonaflink.operators.inference.InferenceConfig;
import io.sonaflink.operators.inference.InferenceDevice;
import io.sonaflink.operators.inference.InferenceOperator;
import io.sonaflink.state.bandit.RouteAdvisor;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.lora.LoraAdapter;

import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Batches of queries through the inference operator at d = 256: for each query a MicroLoRA (rank
 * 2) and a BaseLoRA (rank 8) applied, one stack per key for 64 keys, and (with {@code patterns} =
 * 100) a route from the key's bank of 100 patterns (hit or UCB), driven by Flink's operator test
 * harness. One operation is one batch of {@code batch} queries across the keys, computed by {@code
 * device} (JAVA: plain Java; CPU: DJL's PyTorch on the CPU); queries/s = batch / time.
 * Deserialisation of the queries is not included.
 *
 * <p>{@code main} prints the serialized size of one key's broadcast entries: every parallel task
 * holds and checkpoints a copy of them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class InferenceOperatorBenchmark {

    static final int QUERIES = 4096;
    static final int KEYS = 64;

    @Param({"1", "64", "1024"})
    public int batch;

    @Param({"JAVA", "CPU"})
    public InferenceDevice device;

    @Param({"0", "100"})
    public int patterns;

    private TwoInputStreamOperatorTestHarness<Query, Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot>, Response> harness;
    private StreamRecord<Query>[] records;
    private int cursor;

    @Setup(Level.Trial)
    @SuppressWarnings("unchecked")
    public void prepare() throws Exception {
        harness = new TwoInputStreamOperatorTestHarness<>(new InferenceOperator(
                new InferenceConfig(RouteAdvisor.DEFAULT, batch, 60_000, device, 1)));
        harness.open();
        ReasoningBank bank = BenchmarkData.patternBank(100, BenchmarkData.DIM, BenchmarkData.SEED + 31);
        float[][] queries = BenchmarkData.queriesNear(bank, QUERIES, BenchmarkData.SEED + 32);
        for (int k = 0; k < KEYS; k++) {
            AdapterKey key = key(k);
            for (Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot> entry : entries(key, bank, k)) {
                if (entry.isLeft() || patterns > 0) {
                    harness.processElement2(new StreamRecord<>(entry, 0L));
                }
            }
        }
        records = new StreamRecord[QUERIES];
        for (int i = 0; i < QUERIES; i++) {
            records[i] = new StreamRecord<>(new Query("q-" + i, key(i % KEYS), queries[i], i));
        }
    }

    /** One batch: {@code batch} queries, the last of which fills it and has it computed. */
    @Benchmark
    public void batch() throws Exception {
        for (int q = 0; q < batch; q++) {
            harness.processElement1(records[cursor]);
            cursor = (cursor + 1) & (QUERIES - 1);
        }
        harness.getOutput().clear();
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        harness.close();
    }

    static AdapterKey key(int k) {
        return new AdapterKey("tenant-" + k, "persona", "domain");
    }

    /** A key's broadcast entries: both adapters, with trained-looking (non-zero) weights, and its patterns. */
    static List<Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot>> entries(AdapterKey key, ReasoningBank bank, long seed) {
        LoraAdapter micro = LoraAdapter.initialize(BenchmarkData.DIM, 2, 1, 2f, seed);
        LoraAdapter base = LoraAdapter.initialize(BenchmarkData.DIM, 8, 1, 16f, seed + 1);
        for (LoraAdapter a : List.of(micro, base)) {
            float[][] w = a.weights();
            for (int r = w.length / 2; r < w.length; r++) {
                w[r] = BenchmarkData.unitScaleVectors(1, BenchmarkData.DIM, seed + r)[0];
            }
        }
        return List.of(
                InferenceOperator.adapter(AdapterUpdate.of(key, AdapterKind.MICRO, 1, 0, micro, Map.of(), 0L)),
                InferenceOperator.adapter(AdapterUpdate.of(key, AdapterKind.BASE, 1, 0, base, Map.of(), 0L)),
                InferenceOperator.patterns(new PatternSnapshot(key, 1, 0L, bank.patterns())));
    }

    /** Prints the serialized size of one key's broadcast entries. */
    public static void main(String[] args) throws Exception {
        ReasoningBank bank = BenchmarkData.patternBank(100, BenchmarkData.DIM, BenchmarkData.SEED + 31);
        List<Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot>> entries = entries(key(0), bank, 0);
        int[] bytes = new int[3];
        for (int e = 0; e < 3; e++) {
            DataOutputSerializer out = new DataOutputSerializer(1 << 16);
            if (entries.get(e).isLeft()) {
                AdapterUpdateCodec.TYPE.createSerializer(new org.apache.flink.api.common.serialization.SerializerConfigImpl())
                        .serialize(entries.get(e).left().f0, out);
            } else {
                EventCodecs.PATTERN_SNAPSHOT.createSerializer(
                        new org.apache.flink.api.common.serialization.SerializerConfigImpl()).serialize(entries.get(e).right(), out);
            }
            bytes[e] = out.length();
        }
        System.out.printf("per key and task at d=%d: micro rank 2 %d B, base rank 8 %d B, %d patterns %d B, total %d B%n",
                BenchmarkData.DIM, bytes[0], bytes[1], 100, bytes[2], bytes[0] + bytes[1] + bytes[2]);
    }
}
