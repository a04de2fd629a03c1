package io.sonaflink.bench;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.Trajectory;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
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

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A trajectory (d = 256) through its state serializer and back, as every RocksDB put and get and
 * every network hop of the join and the background loop pays it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StateCodecBenchmark {

    private final TypeSerializer<Trajectory> serializer =
            EventCodecs.TRAJECTORY.createSerializer(new SerializerConfigImpl());
    private final DataOutputSerializer out = new DataOutputSerializer(4096);
    private final DataInputDeserializer in = new DataInputDeserializer();
    private Trajectory trajectory;

    @Setup(Level.Trial)
    public void prepare() {
        float[] embedding = BenchmarkData.unitScaleVectors(1, BenchmarkData.DIM, BenchmarkData.SEED + 61)[0];
        trajectory = new Trajectory("t-1", new AdapterKey("acme", "assistant", "general"), 1L, embedding, "route-1",
                Map.of(), Map.of(), null, 0.8f, null, 1f);
    }

    @Benchmark
    public Trajectory roundTrip() throws IOException {
        out.clear();
        serializer.serialize(trajectory, out);
        in.setBuffer(out.getSharedBuffer(), 0, out.length());
        return serializer.deserialize(in);
    }
}
