package io.sonaflink.bench;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.Control;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.gate.AdapterGateConfig;
import io.sonaflink.operators.gate.AdapterGateFunction;
import io.sonaflink.operators.gate.AdapterGateOperator;
import io.sonaflink.operators.instant.InstantLoopConfig;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
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
 * One corrective event through the instant loop, which runs in the adapter gate's operator (keyed
 * state read and write, the held-out split, and a MicroLoRA step at d = 256, rank 2, on the
 * residual of the champion BaseLoRA) on the RocksDB or heap state backend, driven by Flink's
 * operator test harness. Every event is a correction, the expensive case; 64 keys so that state
 * access is not one hot key. The operator bundles each key's record and MicroLoRA on the heap and
 * writes them back before a barrier: every {@code eventsPerBarrier} events here (1 024 is 16 events
 * per key, far more often than checkpoints seconds apart at this rate). Deserialisation of
 * the input is not included. The heap backend shows how much of the cost is state access.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class InstantLoopOperatorBenchmark {

    static final int EVENTS = 1024;
    static final int KEYS = 64;

    @Param({"rocksdb", "hashmap"})
    public String backend;

    /** Events between two checkpoint barriers, before each of which every bundle is written back. */
    @Param({"1024", "65536"})
    public int eventsPerBarrier;

    private long processed;

    private KeyedBroadcastOperatorTestHarness<String, Either<Trajectory, AdapterUpdate>, Control, AdapterUpdate>
            harness;
    private StreamRecord<Either<Trajectory, AdapterUpdate>>[] records;
    private int cursor;

    @Setup(Level.Trial)
    @SuppressWarnings("unchecked")
    public void prepare() throws Exception {
        BenchmarkData.Examples events =
                BenchmarkData.correctiveEvents(EVENTS, BenchmarkData.DIM, BenchmarkData.SEED + 21);
        records = new StreamRecord[EVENTS];
        for (int i = 0; i < EVENTS; i++) {
            AdapterKey key = new AdapterKey("tenant-" + (i % KEYS), "persona", "domain");
            records[i] = new StreamRecord<>(AdapterGateFunction.trajectory(new Trajectory("t-" + i, key, i,
                    events.inputs()[i], "route-" + (i % 4), Map.of(), Map.of(), null, 0.8f, events.targets()[i], 1f)));
        }
        InstantLoopConfig config = InstantLoopConfig.defaults(BenchmarkData.DIM, BenchmarkData.SEED);
        harness = new KeyedBroadcastOperatorTestHarness<>(
                new AdapterGateOperator(new AdapterGateFunction(AdapterGateConfig.DEFAULT, config), KEYS),
                new AdapterGateFunction.InputKey(), Types.STRING, 128, 1, 0);
        harness.setStateBackend(backend.equals("rocksdb") ? rocksDb() : new HashMapStateBackend());
        harness.open();
    }

    /**
     * RocksDB as on a TaskManager: the harness has almost no managed memory, which would make
     * RocksDB flush its memtable on nearly every write, so RocksDB's own default sizes are used.
     */
    static EmbeddedRocksDBStateBackend rocksDb() {
        EmbeddedRocksDBStateBackend rocksDb = new EmbeddedRocksDBStateBackend();
        rocksDb.getMemoryConfiguration().setUseManagedMemory(false);
        return rocksDb;
    }

    @Benchmark
    public void processEvent() throws Exception {
        int i = cursor;
        cursor = (i + 1) & (EVENTS - 1);
        harness.processElement(records[i]);
        if (++processed % eventsPerBarrier == 0) {
            harness.prepareSnapshotPreBarrier(processed); // every key's bundle is written back
        }
        if (i == EVENTS - 1) {
            harness.getOutput().clear(); // keep the collected output bounded
        }
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        harness.close();
    }
}
