package io.sonaflink.operators.parse;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.RawRecord;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Valid payloads to start from, and ways to write embeddings into them. */
final class ParseFixtures {

    static final ParseLimits LIMITS = ParseLimits.DEFAULT;
    static final int DIM = LIMITS.dimension();
    static final AdapterKey KEY = new AdapterKey("acme", "support", "billing");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RAW_PLACEHOLDER = "@raw@";

    private ParseFixtures() {}

    /** Dyadic fractions, so the decimal text written for them reads back to the same floats. */
    static float[] embedding() {
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            v[i] = (i - 128) / 64f;
        }
        return v;
    }

    static float[] target() {
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            v[i] = i / 256f;
        }
        return v;
    }

    static ObjectNode trajectory(String id) {
        ObjectNode t = JSON.createObjectNode();
        t.put("id", id);
        t.set("key", key());
        t.put("timestamp", 1_700_000_000_000L);
        t.set("embedding", array(embedding()));
        t.put("route", "hnsw");
        ObjectNode params = t.putObject("params");
        params.put("ef_search", 64);
        params.put("strategy", "greedy");
        ObjectNode metrics = t.putObject("metrics");
        metrics.put("latency_us", 1200);
        metrics.put("planning_us", 100);
        metrics.put("execution_us", 1100);
        metrics.put("rows_processed", 10);
        metrics.put("memory_bytes", 2_000_000);
        metrics.put("cache_hit_rate", 0.8);
        t.put("quality", 0.7);
        t.set("target", array(target()));
        return t;
    }

    static ObjectNode signal(String id, String type) {
        ObjectNode s = JSON.createObjectNode();
        s.put("id", id);
        s.put("trajectory_id", "t-1");
        s.set("key", key());
        s.put("type", type);
        s.put("source", "human");
        s.put("timestamp", 1_700_000_000_500L);
        return s;
    }

    /** A command for every key, with no optional field. */
    static ObjectNode control(String id, String command) {
        ObjectNode c = JSON.createObjectNode();
        c.put("id", id);
        c.put("command", command);
        c.put("timestamp", 1_700_000_001_000L);
        return c;
    }

    static ObjectNode query(String id) {
        ObjectNode q = JSON.createObjectNode();
        q.put("id", id);
        q.set("key", key());
        q.set("embedding", array(embedding()));
        q.put("timestamp", 1_700_000_002_000L);
        return q;
    }

    static ObjectNode key() {
        ObjectNode key = JSON.createObjectNode();
        key.put("tenant", KEY.tenant());
        key.put("persona", KEY.persona());
        key.put("domain", KEY.domain());
        return key;
    }

    static ArrayNode array(float[] values) {
        ArrayNode array = JSON.createArrayNode();
        for (float v : values) {
            array.add(v);
        }
        return array;
    }

    static String base64(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        return Base64.getEncoder().encodeToString(buffer.array());
    }

    /**
     * The node's JSON with {@code field} replaced by raw text: for what a JSON tree cannot hold,
     * such as the token {@code NaN}.
     */
    static String withRawField(ObjectNode node, String field, String rawJson) {
        ObjectNode copy = node.deepCopy();
        copy.put(field, RAW_PLACEHOLDER);
        return text(copy).replace('"' + RAW_PLACEHOLDER + '"', rawJson);
    }

    /** The embedding as a JSON array text, with {@code token} written in place of element {@code index}. */
    static String embeddingWithToken(int index, String token) {
        float[] v = embedding();
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            text.append(i == 0 ? "" : ",").append(i == index ? token : Float.toString(v[i]));
        }
        return text.append(']').toString();
    }

    static String text(ObjectNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static RawRecord raw(String json, long offset) {
        return new RawRecord(json.getBytes(StandardCharsets.UTF_8), "events", 3, offset);
    }

    static RawRecord raw(ObjectNode node, long offset) {
        return raw(text(node), offset);
    }
}
