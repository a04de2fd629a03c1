package io.sonaflink.connectors.json;

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

    public static byte[] deadLetter(DeadLetter d) {
        ObjectNode n = JSON.createObjectNode();
        n.put("source", d.source());
        n.put("partition", d.partition());
        n.put("offset", d.offset());
        n.put("reason", d.reason());
        n.put("raw_base64", Base64.getEncoder().encodeToString(d.raw()));
        return bytes(n);
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
