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

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Base64;
import java.util.Locale;
import java.util.Map;

/**
 * JSON renderings of the job's outputs (snake_case, one object per event), as written to the
 * output topics and files. Weights and centroids are JSON arrays of numbers; a dead letter's raw
 * bytes are base64 so that nothing about them is lost.
 */
public final class OutputJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private OutputJson() {}

    public static byte[] adapterUpdate(AdapterUpdate u) {
        ObjectNode n = JSON.createObjectNode();
        n.set("key", key(u.key()));
        n.put("kind", u.kind().name().toLowerCase(Locale.ROOT));
        n.put("version", u.version());
        n.put("parent_version", u.parentVersion());
        n.put("rank", u.rank());
        n.put("layers", u.layers());
        n.put("alpha", u.alpha());
        n.put("dim", u.dim());
        ArrayNode weights = n.putArray("weights");
        for (float[] row : u.weights()) {
            weights.add(floats(row));
        }
        n.set("metrics", doubles(u.metrics()));
        n.put("created_at", u.createdAt());
        return bytes(n);
    }

    public static byte[] patternSnapshot(PatternSnapshot s) {
        ObjectNode n = JSON.createObjectNode();
        n.set("key", key(s.key()));
        n.put("cycle", s.cycle());
        n.put("timestamp", s.timestamp());
        ArrayNode patterns = n.putArray("patterns");
        for (Pattern p : s.patterns()) {
            ObjectNode o = patterns.addObject();
            o.put("id", p.id());
            o.put("samples", p.sampleCount());
            o.put("quality_mean", p.qualityMean());
            o.put("quality_variance", p.qualityVariance());
            o.put("confidence", p.confidence());
            o.put("route", p.route());
            ObjectNode params = o.putObject("params");
            p.discreteParams().forEach(params::put);
            p.numericParams().forEach(params::put);
            o.set("centroid", floats(p.centroid()));
            o.put("created_cycle", p.createdCycle());
            o.put("updated_cycle", p.updatedCycle());
        }
        return bytes(n);
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
        ObjectNode n = JSON.createObjectNode();
        n.put("id", r.id());
        if (r.isError()) {
            if (r.key() == null) {
                n.putNull("key");
            } else {
                n.set("key", key(r.key()));
            }
            n.put("error", r.error());
            n.put("timestamp", r.timestamp());
            return bytes(n);
        }
        n.set("key", key(r.key()));
        n.put("micro_version", r.microVersion());
        n.put("base_version", r.baseVersion());
        n.set("adapted", floats(r.adapted()));
        n.put("pattern_hit", r.patternHit());
        n.put("pattern_id", r.patternId());
        n.put("route", r.route());
        ObjectNode params = n.putObject("params");
        r.discreteParams().forEach(params::put);
        r.numericParams().forEach(params::put);
        putFinite(n, "confidence", r.confidence());
        putFinite(n, "similarity", r.similarity());
        n.put("timestamp", r.timestamp());
        return bytes(n);
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

    static ArrayNode floats(float[] values) {
        ArrayNode a = JSON.createArrayNode();
        for (float v : values) {
            a.add(v);
        }
        return a;
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

    private static void putFinite(ObjectNode n, String field, float value) {
        if (Float.isFinite(value)) {
            n.put(field, value);
        } else {
            n.putNull(field); // JSON has no NaN
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
