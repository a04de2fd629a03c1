package io.sonaflink.operators.parse;

import io.sonaflink.operators.events.ExecutionMetrics;
import io.sonaflink.operators.events.RawRecord;
import io.sonaflink.operators.events.SignalSource;
import io.sonaflink.operators.events.SignalType;
import io.sonaflink.operators.events.TrainingSignal;
import io.sonaflink.operators.events.Trajectory;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static io.sonaflink.operators.parse.ParseFixtures.DIM;
import static io.sonaflink.operators.parse.ParseFixtures.KEY;
import static io.sonaflink.operators.parse.ParseFixtures.LIMITS;
import static io.sonaflink.operators.parse.ParseFixtures.array;
import static io.sonaflink.operators.parse.ParseFixtures.base64;
import static io.sonaflink.operators.parse.ParseFixtures.embedding;
import static io.sonaflink.operators.parse.ParseFixtures.embeddingWithToken;
import static io.sonaflink.operators.parse.ParseFixtures.raw;
import static io.sonaflink.operators.parse.ParseFixtures.signal;
import static io.sonaflink.operators.parse.ParseFixtures.target;
import static io.sonaflink.operators.parse.ParseFixtures.text;
import static io.sonaflink.operators.parse.ParseFixtures.trajectory;
import static io.sonaflink.operators.parse.ParseFixtures.withRawField;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class EventParserTest {

    // ---- trajectories: valid ----

    @Test
    void parsesATrajectoryWithArrayEmbeddings() {
        Trajectory expected = new Trajectory("t-1", KEY, 1_700_000_000_000L, embedding(), "hnsw",
                Map.of("strategy", "greedy"), Map.of("ef_search", 64.0),
                new ExecutionMetrics(1200, 100, 1100, 10, 2_000_000, 0.8f), 0.7f, target(), 1f);

        assertThat(parsedTrajectory(trajectory("t-1"))).isEqualTo(expected);
    }

    @Test
    void base64EmbeddingsParseToTheSameTrajectoryAsArrays() {
        ObjectNode base64Form = trajectory("t-1");
        base64Form.put("embedding", base64(embedding()));
        base64Form.put("target", base64(target()));

        assertThat(parsedTrajectory(base64Form)).isEqualTo(parsedTrajectory(trajectory("t-1")));
    }

    @Test
    void qualityIsComputedFromMetricsWhenAbsent() {
        ObjectNode t = trajectory("t-1");
        t.remove("quality");

        // 0.5 / (1 + 1.2 ms) + 0.3 / (1 + 2 MB) + 0.2 * 0.8
        double expected = 0.5 / 2.2 + 0.3 / 3.0 + 0.2 * 0.8;
        assertThat(parsedTrajectory(t).quality()).isCloseTo((float) expected, within(1e-6f));
    }

    @Test
    void optionalFieldsTakeTheirDefaults() {
        ObjectNode t = trajectory("t-1");
        t.remove("route");
        t.remove("params");
        t.remove("target");
        t.putNull("quality"); // null counts as absent
        ObjectNode metrics = t.putObject("metrics");
        metrics.put("latency_us", 0);
        metrics.put("memory_bytes", 0);

        Trajectory parsed = parsedTrajectory(t);

        assertThat(parsed.route()).isEmpty();
        assertThat(parsed.discreteParams()).isEmpty();
        assertThat(parsed.numericParams()).isEmpty();
        assertThat(parsed.target()).isNull();
        assertThat(parsed.metrics()).isEqualTo(new ExecutionMetrics(0, 0, 0, 0, 0, 0f));
        assertThat(parsed.quality()).isCloseTo(0.8f, within(1e-6f)); // 0.5 + 0.3, no cache hits
        assertThat(parsed.weight()).isEqualTo(1f);
    }

    @Test
    void unknownFieldsAreIgnoredAndBooleanParamsAreDiscrete() {
        ObjectNode t = trajectory("t-1");
        t.put("steps", "added by a newer producer");
        t.putObject("extra").put("nested", 1);
        t.withObjectProperty("params").put("rerank", true);
        t.withObjectProperty("params").put("ratio", 0.25);

        Trajectory parsed = parsedTrajectory(t);

        assertThat(parsed.discreteParams()).containsExactlyInAnyOrderEntriesOf(
                Map.of("strategy", "greedy", "rerank", "true"));
        assertThat(parsed.numericParams()).containsExactlyInAnyOrderEntriesOf(
                Map.of("ef_search", 64.0, "ratio", 0.25));
    }

    @Test
    void wholeNumbersWrittenWithAnExponentAreAcceptedAsTimestamps() {
        String json = withRawField(trajectory("t-1"), "timestamp", "1.7e12");

        assertThat(parsedTrajectory(json).timestamp()).isEqualTo(1_700_000_000_000L);
    }

    // ---- trajectories: rejected ----

    @Test
    void malformedJson() {
        assertThat(trajectoryRejection("{\"id\": \"t-1\",, }")).startsWith("malformed JSON: ")
                .contains("line 1, column 14");
    }

    @Test
    void truncatedJson() {
        String json = text(trajectory("t-1"));

        assertThat(trajectoryRejection(json.substring(0, json.length() / 2)))
                .startsWith("malformed JSON: Unexpected end-of-input").doesNotContain("Source");
    }

    @Test
    void trailingContentAndDuplicateFieldsAreMalformed() {
        String json = text(trajectory("t-1"));

        assertThat(trajectoryRejection(json + " {}")).startsWith("malformed JSON: Trailing token");
        assertThat(trajectoryRejection(json.replace("\"route\":\"hnsw\"", "\"route\":\"hnsw\",\"route\":\"flat\"")))
                .startsWith("malformed JSON: Duplicate field 'route'");
    }

    @Test
    void emptyAndNonObjectPayloads() {
        assertThat(trajectoryRejection("")).isEqualTo("payload: empty");
        assertThat(trajectoryRejection("  ")).isEqualTo("payload: no JSON value");
        assertThat(trajectoryRejection("[1, 2]")).isEqualTo("payload: expected a JSON object, got array");
    }

    @Test
    void oversizedPayloadIsRejectedBeforeParsing() {
        byte[] bytes = new byte[2_000_000]; // not JSON at all: the size check comes first
        RawRecord raw = new RawRecord(bytes, "events", 0, 0);

        assertThat(rejection(EventParser.parseTrajectory(raw, LIMITS)))
                .isEqualTo("payload: 2000000 bytes exceeds the 1048576-byte limit");
    }

    @Test
    void wrongDimension() {
        ObjectNode t = trajectory("t-1");
        t.set("embedding", array(Arrays.copyOf(embedding(), DIM - 1)));

        assertThat(trajectoryRejection(t)).isEqualTo("embedding: expected 256 values, got 255");
    }

    @Test
    void targetOfTheWrongDimension() {
        ObjectNode t = trajectory("t-1");
        t.set("target", array(Arrays.copyOf(target(), DIM + 1)));

        assertThat(trajectoryRejection(t)).isEqualTo("target: expected 256 values, got 257");
    }

    @Test
    void nanAndInfinityInAnEmbedding() {
        ObjectNode t = trajectory("t-1");

        assertThat(trajectoryRejection(withRawField(t, "embedding", embeddingWithToken(17, "NaN"))))
                .isEqualTo("embedding[17]: NaN is not allowed");
        assertThat(trajectoryRejection(withRawField(t, "embedding", embeddingWithToken(3, "Infinity"))))
                .isEqualTo("embedding[3]: Infinity is not allowed");
        assertThat(trajectoryRejection(withRawField(t, "embedding", embeddingWithToken(0, "-Infinity"))))
                .isEqualTo("embedding[0]: -Infinity is not allowed");
    }

    @Test
    void nanInABase64EmbeddingAndValuesBeyondFloat32() {
        float[] withNaN = embedding();
        withNaN[17] = Float.NaN;
        ObjectNode t = trajectory("t-1");
        t.put("embedding", base64(withNaN));
        assertThat(trajectoryRejection(t)).isEqualTo("embedding[17]: NaN is not allowed");

        assertThat(trajectoryRejection(withRawField(trajectory("t-1"), "embedding", embeddingWithToken(5, "1e39"))))
                .isEqualTo("embedding[5]: 1.0E39 is outside the float32 range");
    }

    @Test
    void theLargestFloat32AsFloatWritersPrintItIsAccepted() {
        String json = withRawField(trajectory("t-1"), "embedding", embeddingWithToken(5, "-3.4028235E38"));
        assertThat(parsedTrajectory(json).embedding()[5]).isEqualTo(-Float.MAX_VALUE);

        // 2^128 - 2^103, halfway between Float.MAX_VALUE and 2^128, rounds to infinity
        assertThat(trajectoryRejection(withRawField(trajectory("t-1"), "embedding",
                embeddingWithToken(5, "3.4028235677973366E38"))))
                .isEqualTo("embedding[5]: 3.4028235677973366E38 is outside the float32 range");
    }

    @Test
    void nonNumericEmbeddingElement() {
        assertThat(trajectoryRejection(withRawField(trajectory("t-1"), "embedding", embeddingWithToken(9, "\"x\""))))
                .isEqualTo("embedding[9]: expected a number, got string");
    }

    @Test
    void badBase64() {
        ObjectNode t = trajectory("t-1");
        t.put("embedding", "not*base64");

        assertThat(trajectoryRejection(t)).startsWith("embedding: invalid base64: ");
    }

    @Test
    void base64OfTheWrongLength() {
        ObjectNode t = trajectory("t-1");
        t.put("embedding", base64(Arrays.copyOf(embedding(), DIM - 1)));
        assertThat(trajectoryRejection(t)).isEqualTo("embedding: expected 256 values, got 255 (base64 float32)");

        t.put("embedding", java.util.Base64.getEncoder().encodeToString(new byte[DIM * 4 - 3]));
        assertThat(trajectoryRejection(t))
                .isEqualTo("embedding: base64 decodes to 1021 bytes, not a whole number of float32 values");
    }

    /** Bytes that are not JSON text are named for what they are, not for the character the parser tripped on. */
    @Test
    void invalidUtf8AndSchemaRegistryFramesAreNamed() {
        byte[] latin1 = "{\"id\": \"t-1\", \u00e9}".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(rejection(EventParser.parseTrajectory(new io.sonaflink.operators.events.RawRecord(latin1, "t", 0, 1),
                LIMITS))).isEqualTo("malformed JSON: invalid UTF-8 at byte 14");

        byte[] json = text(trajectory("t-1")).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] framed = new byte[json.length + 5];
        framed[4] = 42; // magic byte 0, schema id 42
        System.arraycopy(json, 0, framed, 5, json.length);
        assertThat(rejection(EventParser.parseTrajectory(new io.sonaflink.operators.events.RawRecord(framed, "t", 0, 2),
                LIMITS))).startsWith("framed record: a Schema Registry frame (magic byte 0, schema id 42)"
                        + " precedes the JSON; set sona.kafka.schema-registry-framing: true");
        assertThat(EventParser.firstInvalidUtf8("h\u00e9llo \uD83D\uDE00".getBytes(java.nio.charset.StandardCharsets.UTF_8), 0))
                .isEqualTo(-1);
    }

    /** With framing on, the JSON after a Confluent frame is read, plain JSON still is, and offsets name the whole record. */
    @Test
    void schemaRegistryFramedRecordsAreReadWhenFramingIsOn() {
        ParseLimits framing = new ParseLimits(LIMITS.dimension(), LIMITS.maxPayloadBytes(), true);
        byte[] json = text(trajectory("t-1")).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] framed = new byte[json.length + 5];
        framed[4] = 7;
        System.arraycopy(json, 0, framed, 5, json.length);
        ParseResult<Trajectory> fromFrame =
                EventParser.parseTrajectory(new io.sonaflink.operators.events.RawRecord(framed, "t", 0, 1), framing);
        ParseResult<Trajectory> plain =
                EventParser.parseTrajectory(new io.sonaflink.operators.events.RawRecord(json, "t", 0, 2), framing);
        assertThat(fromFrame).isInstanceOf(ParseResult.Parsed.class);
        assertThat(((ParseResult.Parsed<Trajectory>) fromFrame).value())
                .isEqualTo(((ParseResult.Parsed<Trajectory>) plain).value());

        byte[] latin1 = "{\"id\": \"t-1\", \u00e9}".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] badFrame = new byte[latin1.length + 5];
        System.arraycopy(latin1, 0, badFrame, 5, latin1.length);
        assertThat(rejection(EventParser.parseTrajectory(
                new io.sonaflink.operators.events.RawRecord(badFrame, "t", 0, 3), framing)))
                .isEqualTo("malformed JSON: invalid UTF-8 at byte 19");
    }

    /** A lone surrogate has no UTF-8 form: as a Kafka record key it would become '?' and keys could collide. */
    @Test
    void loneSurrogatesAreRejectedAndPairsAccepted() {
        // JSON escapes are how a lone surrogate arrives: as bytes it is not even valid UTF-8
        ObjectNode t = trajectory("t-1");
        t.withObjectProperty("key").put("tenant", "acme@");
        assertThat(trajectoryRejection(text(t).replace("acme@", "acme\\ud800")))
                .isEqualTo("key.tenant: lone UTF-16 surrogate \\uD800 at character 4");
        assertThat(trajectoryRejection(text(t).replace("acme@", "\\udc00acme")))
                .startsWith("key.tenant: lone UTF-16 surrogate \\uDC00 at character 0");

        t = trajectory("t-1");
        t.put("route", "ok@");
        assertThat(trajectoryRejection(text(t).replace("ok@", "ok\\ud83d"))).startsWith("route: lone UTF-16 surrogate");

        t = trajectory("t-1");
        t.putObject("params").put("bad@", "x");
        assertThat(trajectoryRejection(text(t).replace("bad@", "bad\\udfff")))
                .isEqualTo("params: a parameter name holds a lone UTF-16 surrogate");

        t = trajectory("t-1");
        t.withObjectProperty("key").put("tenant", "acme@");
        String pair = text(t).replace("acme@", "acme-\\ud83d\\ude00"); // a pair: an emoji
        assertThat(EventParser.parseTrajectory(raw(pair, 1), LIMITS)).isInstanceOf(ParseResult.Parsed.class);
    }

    @Test
    void missingKeyAndKeyParts() {
        ObjectNode t = trajectory("t-1");
        t.remove("key");
        assertThat(trajectoryRejection(t)).isEqualTo("key: missing");

        t = trajectory("t-1");
        t.withObjectProperty("key").remove("tenant");
        assertThat(trajectoryRejection(t)).isEqualTo("key.tenant: missing");

        t = trajectory("t-1");
        t.withObjectProperty("key").put("persona", " ");
        assertThat(trajectoryRejection(t)).isEqualTo("key.persona: must not be blank");

        t = trajectory("t-1");
        t.withObjectProperty("key").put("domain", "billing/eu");
        assertThat(trajectoryRejection(t)).startsWith("key.domain: must not contain '/'");

        t = trajectory("t-1");
        t.put("key", "acme/support/billing");
        assertThat(trajectoryRejection(t)).isEqualTo("key: expected an object, got string");
    }

    @Test
    void idAndTimestamp() {
        ObjectNode t = trajectory("t-1");
        t.remove("id");
        assertThat(trajectoryRejection(t)).isEqualTo("id: missing");

        t = trajectory("t-1");
        t.put("id", 7);
        assertThat(trajectoryRejection(t)).isEqualTo("id: expected a string, got number");

        t = trajectory("t-1");
        t.put("id", "x".repeat(70_000));
        assertThat(trajectoryRejection(t)).isEqualTo("id: too long (more than 65535 bytes)");

        t = trajectory("t-1");
        t.remove("timestamp");
        assertThat(trajectoryRejection(t)).isEqualTo("timestamp: missing");

        t = trajectory("t-1");
        t.put("timestamp", -1);
        assertThat(trajectoryRejection(t)).isEqualTo("timestamp: must not be negative, got -1");

        t = trajectory("t-1");
        t.put("timestamp", 1.5);
        assertThat(trajectoryRejection(t)).isEqualTo("timestamp: expected an integer, got 1.5");
    }

    @Test
    void qualityOutOfRange() {
        ObjectNode t = trajectory("t-1");
        t.put("quality", 1.5);
        assertThat(trajectoryRejection(t)).isEqualTo("quality: must be in [0, 1], got 1.5");

        t.put("quality", -0.1);
        assertThat(trajectoryRejection(t)).isEqualTo("quality: must be in [0, 1], got -0.1");
    }

    @Test
    void neitherQualityNorMetrics() {
        ObjectNode t = trajectory("t-1");
        t.remove("quality");
        t.remove("metrics");

        assertThat(trajectoryRejection(t)).isEqualTo("quality: missing, and there are no metrics to compute it from");
    }

    @Test
    void invalidMetrics() {
        ObjectNode t = trajectory("t-1");
        t.withObjectProperty("metrics").put("latency_us", -5);
        assertThat(trajectoryRejection(t)).isEqualTo("metrics.latency_us: must not be negative, got -5");

        t = trajectory("t-1");
        t.withObjectProperty("metrics").put("rows_processed", -1);
        assertThat(trajectoryRejection(t)).isEqualTo("metrics.rows_processed: must not be negative, got -1");

        t = trajectory("t-1");
        t.withObjectProperty("metrics").remove("memory_bytes");
        assertThat(trajectoryRejection(t)).isEqualTo("metrics.memory_bytes: missing");

        t = trajectory("t-1");
        t.withObjectProperty("metrics").put("cache_hit_rate", 1.2);
        assertThat(trajectoryRejection(t)).isEqualTo("metrics.cache_hit_rate: must be in [0, 1], got 1.2");

        t = trajectory("t-1");
        t.put("metrics", 3);
        assertThat(trajectoryRejection(t)).isEqualTo("metrics: expected an object, got number");
    }

    @Test
    void paramsWithUnsupportedValues() {
        ObjectNode t = trajectory("t-1");
        t.withObjectProperty("params").putObject("strategy").put("name", "greedy");
        assertThat(trajectoryRejection(t))
                .isEqualTo("params.strategy: expected a string, number or boolean, got object");

        t = trajectory("t-1");
        t.withObjectProperty("params").putArray("ef_search").add(1);
        assertThat(trajectoryRejection(t))
                .isEqualTo("params.ef_search: expected a string, number or boolean, got array");

        t = trajectory("t-1");
        t.withObjectProperty("params").putNull("strategy");
        assertThat(trajectoryRejection(t)).isEqualTo("params.strategy: expected a string, number or boolean, got null");

        t = trajectory("t-1");
        t.put("params", "ef_search=64");
        assertThat(trajectoryRejection(t)).isEqualTo("params: expected an object, got string");
    }

    // ---- signals: valid ----

    @Test
    void parsesACorrection() {
        ObjectNode s = signal("s-1", "correction");
        s.set("target", array(target()));

        TrainingSignal expected = new TrainingSignal("s-1", "t-1", KEY, SignalType.CORRECTION, SignalSource.HUMAN, 1f,
                target(), null, 1_700_000_000_500L);
        assertThat(parsedSignal(s)).isEqualTo(expected);
    }

    @Test
    void parsesAnImportWithBase64VectorsAndTheSourceDefaultWeight() {
        ObjectNode s = signal("s-2", "IMPORT");
        s.remove("trajectory_id");
        s.put("source", "Ai");
        s.put("target", base64(target()));
        s.put("input", base64(embedding()));

        TrainingSignal expected = new TrainingSignal("s-2", null, KEY, SignalType.IMPORT, SignalSource.AI, 0.5f,
                target(), embedding(), 1_700_000_000_500L);
        assertThat(parsedSignal(s)).isEqualTo(expected);
    }

    @Test
    void explicitWeightOverridesTheSourceDefault() {
        ObjectNode s = signal("s-3", "positive");
        s.put("source", "automated");
        s.put("weight", 2.5);

        TrainingSignal parsed = parsedSignal(s);
        assertThat(parsed.type()).isEqualTo(SignalType.POSITIVE);
        assertThat(parsed.source()).isEqualTo(SignalSource.AUTOMATED);
        assertThat(parsed.weight()).isEqualTo(2.5f);
        assertThat(parsed.target()).isNull();
        assertThat(parsed.input()).isNull();
    }

    // ---- signals: rejected ----

    @Test
    void unknownTypeAndSource() {
        assertThat(signalRejection(signal("s-1", "foo")))
                .isEqualTo("type: unknown value \"foo\" (expected one of mistake, correction, positive, import)");

        ObjectNode s = signal("s-1", "mistake");
        s.put("source", "robot");
        assertThat(signalRejection(s))
                .isEqualTo("source: unknown value \"robot\" (expected one of human, ai, automated)");

        s = signal("s-1", "mistake");
        s.remove("source");
        assertThat(signalRejection(s)).isEqualTo("source: missing");
    }

    @Test
    void correctionWithoutTargetOrTrajectory() {
        assertThat(signalRejection(signal("s-1", "correction")))
                .isEqualTo("target: missing (a correction needs a target embedding)");

        ObjectNode s = signal("s-1", "correction");
        s.set("target", array(target()));
        s.remove("trajectory_id");
        assertThat(signalRejection(s)).isEqualTo("trajectory_id: missing (a correction refers to a trajectory)");
    }

    @Test
    void fieldsThatTheTypeDoesNotUse() {
        ObjectNode s = signal("s-1", "mistake");
        s.remove("trajectory_id");
        assertThat(signalRejection(s)).isEqualTo("trajectory_id: missing (a mistake refers to a trajectory)");

        s = signal("s-1", "mistake");
        s.set("target", array(target()));
        assertThat(signalRejection(s)).startsWith("target: not allowed (only correction and import signals");

        s = signal("s-1", "import");
        s.set("target", array(target()));
        assertThat(signalRejection(s)).isEqualTo("input: missing (an import needs an input embedding)");
    }

    @Test
    void invalidWeightsAndVectors() {
        ObjectNode s = signal("s-1", "positive");
        s.put("weight", 0);
        assertThat(signalRejection(s)).isEqualTo("weight: must be greater than 0, got 0");

        s.put("weight", -1.5);
        assertThat(signalRejection(s)).isEqualTo("weight: must be greater than 0, got -1.5");

        assertThat(signalRejection(withRawField(signal("s-1", "positive"), "weight", "NaN")))
                .isEqualTo("weight: NaN is not allowed");

        s = signal("s-1", "correction");
        s.set("target", array(Arrays.copyOf(target(), 3)));
        assertThat(signalRejection(s)).isEqualTo("target: expected 256 values, got 3");
    }

    // ---- helpers ----

    private static Trajectory parsedTrajectory(ObjectNode node) {
        return parsedTrajectory(text(node));
    }

    private static Trajectory parsedTrajectory(String json) {
        ParseResult<Trajectory> result = EventParser.parseTrajectory(raw(json, 0), LIMITS);
        assertThat(result).isInstanceOf(ParseResult.Parsed.class);
        return ((ParseResult.Parsed<Trajectory>) result).value();
    }

    private static TrainingSignal parsedSignal(ObjectNode node) {
        ParseResult<TrainingSignal> result = EventParser.parseSignal(raw(node, 0), LIMITS);
        assertThat(result).isInstanceOf(ParseResult.Parsed.class);
        return ((ParseResult.Parsed<TrainingSignal>) result).value();
    }

    private static String trajectoryRejection(ObjectNode node) {
        return trajectoryRejection(text(node));
    }

    private static String trajectoryRejection(String json) {
        return rejection(EventParser.parseTrajectory(raw(json, 0), LIMITS));
    }

    private static String signalRejection(ObjectNode node) {
        return signalRejection(text(node));
    }

    private static String signalRejection(String json) {
        return rejection(EventParser.parseSignal(raw(json, 0), LIMITS));
    }

    private static String rejection(ParseResult<?> result) {
        assertThat(result).isInstanceOf(ParseResult.Rejected.class);
        return ((ParseResult.Rejected<?>) result).reason();
    }
}
