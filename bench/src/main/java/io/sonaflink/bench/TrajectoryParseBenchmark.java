package io.sonaflink.bench;

import io.sonaflink.operators.events.RawRecord;
import io.sonaflink.operators.parse.EventParser;
import io.sonaflink.operators.parse.ParseLimits;
import io.sonaflink.operators.parse.ParseResult;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * Parsing and validating one trajectory at d = 256, with its embedding as a JSON array of numbers
 * or as base64 of little-endian float32 (what producers that care about speed send).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TrajectoryParseBenchmark {

    static final int EVENTS = 256;

    @Param({"array", "base64"})
    public String embedding;

    private final ParseLimits limits = new ParseLimits(BenchmarkData.DIM, 1 << 20);
    private RawRecord[] records;
    private int cursor;

    @Setup(Level.Trial)
    public void prepare() throws Exception {
        ObjectMapper json = new ObjectMapper();
        float[][] vectors = BenchmarkData.unitScaleVectors(EVENTS, BenchmarkData.DIM, BenchmarkData.SEED + 41);
        records = new RawRecord[EVENTS];
        for (int i = 0; i < EVENTS; i++) {
            ObjectNode t = json.createObjectNode();
            t.put("id", "t-" + i);
            ObjectNode key = t.putObject("key");
            key.put("tenant", "acme");
            key.put("persona", "assistant");
            key.put("domain", "general");
            t.put("timestamp", 1_700_000_000_000L + i);
            if (embedding.equals("base64")) {
                ByteBuffer bytes = ByteBuffer.allocate(4 * BenchmarkData.DIM).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : vectors[i]) {
                    bytes.putFloat(v);
                }
                t.put("embedding", Base64.getEncoder().encodeToString(bytes.array()));
            } else {
                ArrayNode a = t.putArray("embedding");
                for (float v : vectors[i]) {
                    a.add(v);
                }
            }
            t.put("route", "route-" + (i % 4));
            t.putObject("params").put("ef_search", 64);
            t.put("quality", 0.8);
            records[i] = new RawRecord(json.writeValueAsBytes(t), "bench", 0, i);
        }
        if (!(EventParser.parseTrajectory(records[0], limits) instanceof ParseResult.Parsed<?>)) {
            throw new IllegalStateException("benchmark input does not parse");
        }
    }

    @Benchmark
    public ParseResult<?> parse() {
        int i = cursor;
        cursor = (i + 1) & (EVENTS - 1);
        return EventParser.parseTrajectory(records[i], limits);
    }
}
