package io.sonaflink.bench;

import io.sonaflink.connectors.json.OutputJson;
import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.events.Response;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.lora.LoraAdapter;

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

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The JSON of the hot outputs at d = 256, as the Kafka sinks render them: a response (256 floats,
 * route and parameters), a BaseLoRA update (rank 8: 16 rows of 256 floats) and a bank of 100
 * patterns.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class OutputRenderBenchmark {

    private Response response;
    private AdapterUpdate update;
    private PatternSnapshot patterns;

    @Setup(Level.Trial)
    public void prepare() {
        AdapterKey key = new AdapterKey("acme", "assistant", "general");
        float[] adapted = BenchmarkData.unitScaleVectors(1, BenchmarkData.DIM, BenchmarkData.SEED + 51)[0];
        response = new Response("q-1", key, 17, 3, adapted, true, 12, "route-2", Map.of("strategy", "beam"),
                Map.of("ef_search", 64.0), 0.8f, 0.93f, 1_700_000_000_000L);
        LoraAdapter base = LoraAdapter.initialize(BenchmarkData.DIM, 8, 1, 16f, BenchmarkData.SEED + 52);
        update = AdapterUpdate.of(key, AdapterKind.BASE, 3, 2, base, Map.of("meanLoss", 0.01), 1_700_000_000_000L);
        ReasoningBank bank = BenchmarkData.patternBank(100, BenchmarkData.DIM, BenchmarkData.SEED + 53);
        patterns = new PatternSnapshot(key, 9, 1_700_000_000_000L, bank.patterns());
    }

    @Benchmark
    public byte[] response() {
        return OutputJson.response(response);
    }

    @Benchmark
    public byte[] adapterUpdate() {
        return OutputJson.adapterUpdate(update);
    }

    @Benchmark
    public byte[] patternSnapshot() {
        return OutputJson.patternSnapshot(patterns);
    }
}
