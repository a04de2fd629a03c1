package io.sonaflink.connectors.json;

import io.sonaflink.connectors.Checksums;
import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.DeadLetter;
import io.sonaflink.operators.events.GateDecision;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.events.Response;
import io.sonaflink.operators.events.SkillMap;
import io.sonaflink.state.bank.Pattern;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;

/**
 * JSON renderings of the job's outputs (snake_case, one object per event), as written to the
 * output topics and files. Weights and centroids are JSON arrays of numbers; a dead letter's raw
 * bytes are base64 so that nothing about them is lost.
 */
public final class OutputJson {

    /**
     * Floats are most of every hot output: written with Jackson's fast writer (Schubfach, the
     * shortest decimal that reads back as the same float; JDK 17's {@code Float.toString} is
     * slower and sometimes longer).
     */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
            .build();

    private OutputJson() {}

    public static byte[] adapterUpdate(AdapterUpdate u) {
        return write(64 + 12 * u.weights().length * u.dim(), g -> {
            g.writeStartObject();
            key(g, u.key());
            g.writeStringField("kind", u.kind().name().toLowerCase(Locale.ROOT));
            g.writeNumberField("version", u.version());
            g.writeNumberField("parent_version", u.parentVersion());
            g.writeNumberField("rank", u.rank());
            g.writeNumberField("layers", u.layers());
            g.writeNumberField("alpha", u.alpha());
            g.writeNumberField("dim", u.dim());
            g.writeArrayFieldStart("weights");
            for (float[] row : u.weights()) {
                floats(g, row);
            }
            g.writeEndArray();
            g.writeFieldName("metrics");
            doubles(g, u.metrics());
            g.writeNumberField("created_at", u.createdAt());
            g.writeEndObject();
        });
    }

    public static byte[] patternSnapshot(PatternSnapshot s) {
        int dim = s.patterns().isEmpty() ? 0 : s.patterns().get(0).centroid().length;
        return write(128 + s.patterns().size() * (256 + 12 * dim), g -> {
            g.writeStartObject();
            key(g, s.key());
            g.writeNumberField("cycle", s.cycle());
            g.writeNumberField("timestamp", s.timestamp());
            g.writeArrayFieldStart("patterns");
            for (Pattern p : s.patterns()) {
                g.writeStartObject();
                g.writeNumberField("id", p.id());
                g.writeNumberField("samples", p.sampleCount());
                g.writeNumberField("quality_mean", p.qualityMean());
                g.writeNumberField("quality_variance", p.qualityVariance());
                g.writeNumberField("confidence", p.confidence());
                g.writeStringField("route", p.route());
                g.writeFieldName("params");
                params(g, p.discreteParams(), p.numericParams());
                g.writeFieldName("centroid");
                floats(g, p.centroid());
                g.writeNumberField("created_cycle", p.createdCycle());
                g.writeNumberField("updated_cycle", p.updatedCycle());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    public static byte[] skillMap(SkillMap m) {
        ObjectNode n = JSON.createObjectNode();
        n.set("key", key(m.key()));
        n.put("cycle", m.cycle());
        n.put("timestamp", m.timestamp());
        n.put("confidence", m.confidence());
        n.set("route_quality", doubles(m.routeQuality()));
        n.put("patterns", m.patterns());
        n.put("samples", m.samples());
        return bytes(n);
    }

    /**
     * The inference operator's answer. {@code params} merges discrete and numeric parameters into one
     * object, as a pattern snapshot's do; a confidence or similarity that is not finite is written as
     * null (JSON has no NaN). A query that could not be answered gets {@code id}, {@code key} (null
     * when unreadable), {@code error} and {@code timestamp} only.
     */
    public static byte[] response(Response r) {
        return write(256 + 12 * r.adapted().length, g -> {
            g.writeStartObject();
            g.writeStringField("id", r.id());
            if (r.isError()) {
                if (r.key() == null) {
                    g.writeNullField("key");
                } else {
                    key(g, r.key());
                }
                g.writeStringField("error", r.error());
                g.writeNumberField("timestamp", r.timestamp());
                g.writeEndObject();
                return;
            }
            key(g, r.key());
            g.writeNumberField("micro_version", r.microVersion());
            g.writeNumberField("base_version", r.baseVersion());
            g.writeFieldName("adapted");
            floats(g, r.adapted());
            g.writeBooleanField("pattern_hit", r.patternHit());
            g.writeNumberField("pattern_id", r.patternId());
            g.writeStringField("route", r.route());
            g.writeFieldName("params");
            params(g, r.discreteParams(), r.numericParams());
            finite(g, "confidence", r.confidence());
            finite(g, "similarity", r.similarity());
            g.writeNumberField("timestamp", r.timestamp());
            g.writeEndObject();
        });
    }

    /** Raw bytes a dead letter keeps unless configured otherwise; the rest is described by size and digest. */
    public static final int DEFAULT_DEAD_LETTER_RAW_BYTES = 64 * 1024;
    /** Characters of a reason a dead letter keeps. */
    static final int MAX_REASON_CHARS = 4096;

    public static byte[] deadLetter(DeadLetter d) {
        return deadLetter(d, DEFAULT_DEAD_LETTER_RAW_BYTES);
    }

    /**
     * A dead letter whose size is bounded whatever the input: the first {@code maxRawBytes} of the
     * raw bytes (base64), the whole payload's size and SHA-256, and whether it was truncated; the
     * reason is cut at {@value #MAX_REASON_CHARS} characters. See {@link #maxDeadLetterBytes}.
     */
    public static byte[] deadLetter(DeadLetter d, int maxRawBytes) {
        byte[] raw = d.raw();
        boolean truncated = raw.length > maxRawBytes;
        ObjectNode n = JSON.createObjectNode();
        n.put("source", d.source());
        n.put("partition", d.partition());
        n.put("offset", d.offset());
        String reason = d.reason();
        n.put("reason", reason.length() <= MAX_REASON_CHARS ? reason
                : reason.substring(0, MAX_REASON_CHARS - 1) + "\u2026");
        n.put("raw_base64", Base64.getEncoder().encodeToString(
                truncated ? java.util.Arrays.copyOf(raw, maxRawBytes) : raw));
        n.put("size", raw.length);
        n.put("sha256", Checksums.sha256(raw));
        n.put("truncated", truncated);
        return bytes(n);
    }

    /** An upper bound of {@link #deadLetter(DeadLetter, int)}'s size, for a producer's max.request.size. */
    public static int maxDeadLetterBytes(int maxRawBytes) {
        long base64 = 4L * ((maxRawBytes + 2L) / 3);
        // reason: each char at most 6 bytes escaped; source, numbers, digest and field names: 64 KiB
        return (int) Math.min(Integer.MAX_VALUE, base64 + 6L * MAX_REASON_CHARS + 65_536);
    }

    public static byte[] gateDecision(GateDecision g) {
        ObjectNode n = JSON.createObjectNode();
        if (g.key() != null) {
            n.set("key", key(g.key()));
        }
        if (g.kind() != null) {
            n.put("kind", g.kind().name().toLowerCase(Locale.ROOT));
        }
        n.put("decision", g.decision().name().toLowerCase(Locale.ROOT));
        n.put("candidate_version", g.candidateVersion());
        n.put("published_version", g.publishedVersion());
        if (Double.isFinite(g.retention())) {
            n.put("retention", g.retention());
        }
        n.put("reason", g.reason());
        if (g.controlId() != null) {
            n.put("control_id", g.controlId());
        }
        n.put("timestamp", g.timestamp());
        if (!g.metrics().isEmpty()) {
            n.set("metrics", doubles(g.metrics()));
        }
        return bytes(n);
    }

    static ObjectNode key(AdapterKey k) {
        ObjectNode n = JSON.createObjectNode();
        n.put("tenant", k.tenant());
        n.put("persona", k.persona());
        n.put("domain", k.domain());
        return n;
    }

    static ObjectNode doubles(Map<String, Double> values) {
        ObjectNode n = JSON.createObjectNode();
        values.forEach((k, v) -> {
            if (v.isNaN() || v.isInfinite()) {
                n.putNull(k); // JSON has no NaN
            } else {
                n.put(k, v);
            }
        });
        return n;
    }

    // ---- the hot outputs, written by Jackson's generator without a tree (the same bytes) ----------

    /** Writes one value with a generator over a buffer of about {@code sizeHint} bytes. */
    private static byte[] write(int sizeHint, Writer writer) {
        ByteArrayBuilder out = new ByteArrayBuilder(Math.min(sizeHint, 1 << 20));
        try (JsonGenerator g = JSON.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
            writer.write(g);
        } catch (IOException e) {
            throw new IllegalStateException("cannot render output", e);
        }
        return out.toByteArray();
    }

    @FunctionalInterface
    private interface Writer {
        void write(JsonGenerator g) throws IOException;
    }

    private static void key(JsonGenerator g, AdapterKey k) throws IOException {
        g.writeObjectFieldStart("key");
        g.writeStringField("tenant", k.tenant());
        g.writeStringField("persona", k.persona());
        g.writeStringField("domain", k.domain());
        g.writeEndObject();
    }

    private static void floats(JsonGenerator g, float[] values) throws IOException {
        g.writeStartArray(values, values.length);
        for (float v : values) {
            g.writeNumber(v);
        }
        g.writeEndArray();
    }

    private static void doubles(JsonGenerator g, Map<String, Double> values) throws IOException {
        g.writeStartObject();
        for (Map.Entry<String, Double> e : values.entrySet()) {
            double v = e.getValue();
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                g.writeNullField(e.getKey()); // JSON has no NaN
            } else {
                g.writeNumberField(e.getKey(), v);
            }
        }
        g.writeEndObject();
    }

    /** Discrete and numeric parameters as one object; a numeric one replaces a discrete one of its name in place. */
    private static void params(JsonGenerator g, Map<String, String> discrete, Map<String, Double> numeric)
            throws IOException {
        g.writeStartObject();
        for (Map.Entry<String, String> e : discrete.entrySet()) {
            Double replaced = numeric.get(e.getKey());
            if (replaced != null) {
                g.writeNumberField(e.getKey(), replaced);
            } else {
                g.writeStringField(e.getKey(), e.getValue());
            }
        }
        for (Map.Entry<String, Double> e : numeric.entrySet()) {
            if (!discrete.containsKey(e.getKey())) {
                g.writeNumberField(e.getKey(), e.getValue());
            }
        }
        g.writeEndObject();
    }

    private static void finite(JsonGenerator g, String field, float value) throws IOException {
        if (Float.isFinite(value)) {
            g.writeNumberField(field, value);
        } else {
            g.writeNullField(field); // JSON has no NaN
        }
    }

    static byte[] bytes(ObjectNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render output", e);
        }
    }
}
