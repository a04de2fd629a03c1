package io.sonaflink.operators.parse;

import io.sonaflink.operators.events.Query;
import io.sonaflink.operators.events.RawRecord;
import io.sonaflink.operators.events.Response;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Base64;

import static io.sonaflink.operators.parse.ParseFixtures.DIM;
import static io.sonaflink.operators.parse.ParseFixtures.KEY;
import static io.sonaflink.operators.parse.ParseFixtures.LIMITS;
import static io.sonaflink.operators.parse.ParseFixtures.array;
import static io.sonaflink.operators.parse.ParseFixtures.base64;
import static io.sonaflink.operators.parse.ParseFixtures.embedding;
import static io.sonaflink.operators.parse.ParseFixtures.embeddingWithToken;
import static io.sonaflink.operators.parse.ParseFixtures.query;
import static io.sonaflink.operators.parse.ParseFixtures.raw;
import static io.sonaflink.operators.parse.ParseFixtures.text;
import static io.sonaflink.operators.parse.ParseFixtures.withRawField;
import static org.assertj.core.api.Assertions.assertThat;

class EventParserQueryTest {

    private static final long TIMESTAMP = 1_700_000_002_000L;

    // ---- valid ----

    @Test
    void parsesAQueryWithAnArrayEmbedding() {
        assertThat(parsed(query("q-1"))).isEqualTo(new Query("q-1", KEY, embedding(), TIMESTAMP));
    }

    @Test
    void aBase64EmbeddingParsesToTheSameQueryAsTheArray() {
        ObjectNode q = query("q-1");
        q.put("embedding", base64(embedding()));
        assertThat(parsed(q)).isEqualTo(parsed(query("q-1")));

        q.put("embedding", base64(embedding()).replace("=", ""));
        assertThat(parsed(q)).isEqualTo(parsed(query("q-1")));
    }

    @Test
    void unknownFieldsAreIgnored() {
        ObjectNode q = query("q-1");
        q.put("route", "hnsw");
        q.putObject("trace").put("span", "abc");
        q.putNull("target");

        assertThat(parsed(q)).isEqualTo(new Query("q-1", KEY, embedding(), TIMESTAMP));
    }

    @Test
    void wholeNumbersWrittenWithAnExponentAreAcceptedAsTimestamps() {
        assertThat(parsed(withRawField(query("q-1"), "timestamp", "1.7e12")).timestamp())
                .isEqualTo(1_700_000_000_000L);
    }

    // ---- rejected ----

    @Test
    void malformedEmptyAndNonObjectPayloads() {
        assertThat(rejection("{\"id\": \"q-1\",, }")).startsWith("malformed JSON: ").contains("line 1, column 14");
        assertThat(rejection(text(query("q-1")) + " {}")).startsWith("malformed JSON: Trailing token");
        assertThat(rejection(text(query("q-1")).replace("\"id\":\"q-1\"", "\"id\":\"q-1\",\"id\":\"q-2\"")))
                .startsWith("malformed JSON: Duplicate field 'id'");
        assertThat(rejection("")).isEqualTo("payload: empty");
        assertThat(rejection("  ")).isEqualTo("payload: no JSON value");
        assertThat(rejection("\"q-1\"")).isEqualTo("payload: expected a JSON object, got string");
    }

    @Test
    void oversizedPayloadIsRejectedBeforeParsing() {
        RawRecord raw = new RawRecord(new byte[LIMITS.maxPayloadBytes() + 1], "queries", 0, 0);

        assertThat(rejection(EventParser.parseQuery(raw, LIMITS)))
                .isEqualTo("payload: 1048577 bytes exceeds the 1048576-byte limit");
    }

    @Test
    void id() {
        ObjectNode q = query("q-1");
        q.remove("id");
        assertThat(rejection(q)).isEqualTo("id: missing");

        q.putNull("id");
        assertThat(rejection(q)).isEqualTo("id: expected a string, got null");

        q.put("id", 7);
        assertThat(rejection(q)).isEqualTo("id: expected a string, got number");

        q.put("id", " ");
        assertThat(rejection(q)).isEqualTo("id: must not be blank");

        q.put("id", "x".repeat(70_000));
        assertThat(rejection(q)).isEqualTo("id: too long (more than 65535 bytes)");
    }

    @Test
    void keyIsReadLikeATrajectorysKey() {
        ObjectNode q = query("q-1");
        q.remove("key");
        assertThat(rejection(q)).isEqualTo("key: missing");

        q.put("key", "acme/support/billing");
        assertThat(rejection(q)).isEqualTo("key: expected an object, got string");

        q = query("q-1");
        q.withObjectProperty("key").remove("tenant");
        assertThat(rejection(q)).isEqualTo("key.tenant: missing");

        q = query("q-1");
        q.withObjectProperty("key").put("persona", "");
        assertThat(rejection(q)).isEqualTo("key.persona: must not be blank");

        q = query("q-1");
        q.withObjectProperty("key").put("domain", "billing/eu");
        assertThat(rejection(q)).isEqualTo("key.domain: must not contain '/', which separates the parts of a key");
    }

    @Test
    void embeddingOfTheWrongShapeOrDimension() {
        ObjectNode q = query("q-1");
        q.remove("embedding");
        assertThat(rejection(q)).isEqualTo("embedding: missing");

        q.putNull("embedding");
        assertThat(rejection(q)).isEqualTo("embedding: expected an array of numbers or a base64 string, got null");

        q.putObject("embedding");
        assertThat(rejection(q)).isEqualTo("embedding: expected an array of numbers or a base64 string, got object");

        q.set("embedding", array(Arrays.copyOf(embedding(), DIM - 1)));
        assertThat(rejection(q)).isEqualTo("embedding: expected 256 values, got 255");

        q.put("embedding", base64(Arrays.copyOf(embedding(), DIM + 1)));
        assertThat(rejection(q)).isEqualTo("embedding: expected 256 values, got 257 (base64 float32)");

        q.put("embedding", Base64.getEncoder().encodeToString(new byte[DIM * 4 - 2]));
        assertThat(rejection(q))
                .isEqualTo("embedding: base64 decodes to 1022 bytes, not a whole number of float32 values");

        q.put("embedding", "not*base64");
        assertThat(rejection(q)).startsWith("embedding: invalid base64: ");
    }

    @Test
    void embeddingValuesThatAreNotFiniteFloat32() {
        ObjectNode q = query("q-1");
        assertThat(rejection(withRawField(q, "embedding", embeddingWithToken(17, "NaN"))))
                .isEqualTo("embedding[17]: NaN is not allowed");
        assertThat(rejection(withRawField(q, "embedding", embeddingWithToken(0, "-Infinity"))))
                .isEqualTo("embedding[0]: -Infinity is not allowed");
        assertThat(rejection(withRawField(q, "embedding", embeddingWithToken(5, "1e39"))))
                .isEqualTo("embedding[5]: 1.0E39 is outside the float32 range");
        assertThat(rejection(withRawField(q, "embedding", embeddingWithToken(9, "\"x\""))))
                .isEqualTo("embedding[9]: expected a number, got string");

        float[] withInfinity = embedding();
        withInfinity[200] = Float.POSITIVE_INFINITY;
        q.put("embedding", base64(withInfinity));
        assertThat(rejection(q)).isEqualTo("embedding[200]: Infinity is not allowed");
    }

    @Test
    void timestamp() {
        ObjectNode q = query("q-1");
        q.remove("timestamp");
        assertThat(rejection(q)).isEqualTo("timestamp: missing");

        q.put("timestamp", -1);
        assertThat(rejection(q)).isEqualTo("timestamp: must not be negative, got -1");

        q.put("timestamp", 1.5);
        assertThat(rejection(q)).isEqualTo("timestamp: expected an integer, got 1.5");

        q.put("timestamp", "1700000002000");
        assertThat(rejection(q)).isEqualTo("timestamp: expected a non-negative integer, got string");

        assertThat(rejection(withRawField(query("q-1"), "timestamp", "9223372036854775808")))
                .isEqualTo("timestamp: 9223372036854775808 is out of range");
    }

    @Test
    void theFirstProblemInFieldOrderIsReported() {
        ObjectNode q = query("q-1");
        q.remove("timestamp");
        q.withObjectProperty("key").remove("domain");
        q.remove("id");

        assertThat(rejection(q)).isEqualTo("id: missing");
    }

    // ---- helpers ----

    private static Query parsed(ObjectNode node) {
        return parsed(text(node));
    }

    private static Query parsed(String json) {
        ParseResult<Query> result = EventParser.parseQuery(raw(json, 0), LIMITS);
        assertThat(result).isInstanceOf(ParseResult.Parsed.class);
        return ((ParseResult.Parsed<Query>) result).value();
    }

    private static String rejection(ObjectNode node) {
        return rejection(text(node));
    }

    private static String rejection(String json) {
        return rejection(EventParser.parseQuery(raw(json, 0), LIMITS));
    }

    private static String rejection(ParseResult<?> result) {
        assertThat(result).isInstanceOf(ParseResult.Rejected.class);
        return ((ParseResult.Rejected<?>) result).reason();
    }

    // ---- replies to rejected queries ----

    @Test
    void aRejectedQueryWithAReadableIdGetsAnErrorReplyWithItsKey() {
        ObjectNode q = query("q-9");
        q.putArray("embedding").add(0.5f);
        assertThat(EventParser.queryRejection(raw(q, 1), "why", LIMITS))
                .isEqualTo(Response.rejected("q-9", KEY, "why", TIMESTAMP));

        q.remove("key");
        q.put("timestamp", "soon");
        assertThat(EventParser.queryRejection(raw(q, 1), "why", LIMITS))
                .as("unreadable key and timestamp").isEqualTo(Response.rejected("q-9", null, "why", 0L));
    }

    @Test
    void aRejectedQueryWithoutAReadableIdGetsNoReply() {
        ObjectNode q = query("q-9");
        q.put("id", 7);
        assertThat(EventParser.queryRejection(raw(q, 1), "why", LIMITS)).isNull();
        q.remove("id");
        assertThat(EventParser.queryRejection(raw(q, 1), "why", LIMITS)).isNull();
        assertThat(EventParser.queryRejection(raw("{\"id\": \"q-1\"", 1), "why", LIMITS)).as("not JSON").isNull();
        assertThat(EventParser.queryRejection(raw("[\"q-1\"]", 1), "why", LIMITS)).isNull();
    }
}
