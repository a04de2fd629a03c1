package io.sonaflink.connectors.json;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.DeadLetter;
import io.sonaflink.operators.events.GateDecision;
import io.sonaflink.operators.events.GateDecisionType;
import io.sonaflink.operators.events.Response;
import io.sonaflink.operators.events.SkillMap;
import io.sonaflink.state.lora.LoraAdapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.Base64;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class OutputJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AdapterKey KEY = new AdapterKey("acme", "support", "billing");

    @Test
    void adapterUpdateCarriesEveryWeight() throws Exception {
        LoraAdapter adapter = LoraAdapter.initialize(4, 2, 1, 2f, 3L);
        adapter.bColumn(0, 1)[2] = 0.25f;
        AdapterUpdate update = AdapterUpdate.of(KEY, AdapterKind.MICRO, 3L, 2L, adapter,
                Map.of("meanLoss", 0.5, "undefined", Double.NaN), 1_700_000_000_000L);

        JsonNode n = JSON.readTree(OutputJson.adapterUpdate(update));

        assertThat(n.get("key").get("tenant").asText()).isEqualTo("acme");
        assertThat(n.get("kind").asText()).isEqualTo("micro");
        assertThat(n.get("version").asLong()).isEqualTo(3L);
        assertThat(n.get("parent_version").asLong()).isEqualTo(2L);
        assertThat(n.get("weights")).hasSize(4);
        assertThat(n.get("weights").get(3).get(2).floatValue()).isEqualTo(0.25f);
        assertThat(n.get("weights").get(0).get(1).floatValue()).isEqualTo(adapter.aRow(0, 0)[1]);
        assertThat(n.get("metrics").get("meanLoss").asDouble()).isEqualTo(0.5);
        assertThat(n.get("metrics").get("undefined").isNull()).isTrue();
    }

    @Test
    void deadLetterKeepsTheRawBytesExactly() throws Exception {
        byte[] raw = {'{', 0, (byte) 0xFF, '"'};
        JsonNode n = JSON.readTree(OutputJson.deadLetter(new DeadLetter(raw, "trajectories", 2, 41L, "malformed JSON")));
        assertThat(Base64.getDecoder().decode(n.get("raw_base64").asText())).containsExactly(raw);
        assertThat(n.get("reason").asText()).isEqualTo("malformed JSON");
        assertThat(n.get("offset").asLong()).isEqualTo(41L);
    }

    @Test
    void skillMapListsRouteQualities() throws Exception {
        JsonNode n = JSON.readTree(OutputJson.skillMap(
                new SkillMap(KEY, 2L, 5L, 0.9, Map.of("route-1", 0.8), 3, 120L)));
        assertThat(n.get("route_quality").get("route-1").asDouble()).isEqualTo(0.8);
        assertThat(n.get("confidence").asDouble()).isEqualTo(0.9);
    }

    @Test
    void responseCarriesTheAdaptedEmbeddingAndMergesParams() throws Exception {
        Response hit = new Response("q-1", KEY, 7L, 2L, new float[] {0.5f, -0.25f, 1e-20f}, true, 12L, "hnsw-rerank",
                Map.of("strategy", "greedy", "rerank", "true"), Map.of("ef_search", 72.5), 0.81f, 0.93f, 5L);

        JsonNode n = JSON.readTree(OutputJson.response(hit));

        assertThat(n.get("id").asText()).isEqualTo("q-1");
        assertThat(n.get("key").get("persona").asText()).isEqualTo("support");
        assertThat(n.get("micro_version").asLong()).isEqualTo(7L);
        assertThat(n.get("base_version").asLong()).isEqualTo(2L);
        assertThat(n.get("adapted")).hasSize(3);
        assertThat(n.get("adapted").get(2).floatValue()).isEqualTo(1e-20f);
        assertThat(n.get("pattern_hit").isBoolean()).isTrue();
        assertThat(n.get("pattern_hit").booleanValue()).isTrue();
        assertThat(n.get("pattern_id").asLong()).isEqualTo(12L);
        assertThat(n.get("route").asText()).isEqualTo("hnsw-rerank");
        assertThat(n.get("params").get("strategy").asText()).isEqualTo("greedy");
        assertThat(n.get("params").get("rerank").asText()).isEqualTo("true");
        assertThat(n.get("params").get("ef_search").isNumber()).isTrue();
        assertThat(n.get("params").get("ef_search").asDouble()).isEqualTo(72.5);
        assertThat(n.get("confidence").floatValue()).isEqualTo(0.81f);
        assertThat(n.get("similarity").floatValue()).isEqualTo(0.93f);
        assertThat(n.get("timestamp").asLong()).isEqualTo(5L);
    }

    @Test
    void responseMissWithoutPatternsAndAnUndefinedConfidence() throws Exception {
        Response miss = new Response("q-2", KEY, 0L, 0L, new float[] {1f}, false, 0L, "", Map.of(), Map.of(),
                Float.NaN, 0f, 6L);

        JsonNode n = JSON.readTree(OutputJson.response(miss));

        assertThat(n.get("pattern_hit").booleanValue()).isFalse();
        assertThat(n.get("pattern_id").asLong()).isZero();
        assertThat(n.get("route").asText()).isEmpty();
        assertThat(n.get("params").isObject()).isTrue();
        assertThat(n.get("params")).isEmpty();
        assertThat(n.get("confidence").isNull()).isTrue();
        assertThat(n.get("similarity").floatValue()).isZero();
    }

    @Test
    void enumNamesDoNotDependOnTheDefaultLocale() throws Exception {
        Locale original = Locale.getDefault();
        Locale.setDefault(Locale.forLanguageTag("tr-TR")); // where "I".toLowerCase() is a dotless i
        try {
            JsonNode n = JSON.readTree(OutputJson.gateDecision(new GateDecision(KEY, AdapterKind.MICRO, 3,
                    GateDecisionType.PINNED, 0, "pinned by command", Double.NaN, "c-1", 5L)));
            assertThat(n.get("kind").asText()).isEqualTo("micro");
            assertThat(n.get("decision").asText()).isEqualTo("pinned");
        } finally {
            Locale.setDefault(original);
        }
    }

    /** A dead letter of any input stays writable: bounded raw bytes, the whole payload's size and digest. */
    @Test
    void deadLettersAreBoundedWhateverTheInput() throws Exception {
        byte[] huge = new byte[10 << 20];
        java.util.Arrays.fill(huge, (byte) '{');
        byte[] json = OutputJson.deadLetter(new DeadLetter(huge, "t", 0, 7, "r".repeat(100_000)), 1024);

        assertThat(json.length).isLessThanOrEqualTo(OutputJson.maxDeadLetterBytes(1024)).isLessThan(1 << 20);
        JsonNode n = JSON.readTree(json);
        assertThat(n.get("size").asInt()).isEqualTo(huge.length);
        assertThat(n.get("truncated").asBoolean()).isTrue();
        assertThat(Base64.getDecoder().decode(n.get("raw_base64").asText())).hasSize(1024);
        assertThat(n.get("sha256").asText()).isEqualTo(io.sonaflink.connectors.Checksums.sha256(huge));
        assertThat(n.get("reason").asText()).hasSize(OutputJson.MAX_REASON_CHARS);

        JsonNode small = JSON.readTree(OutputJson.deadLetter(new DeadLetter(new byte[] {1, 2}, "t", 0, 8, "why"), 1024));
        assertThat(small.get("truncated").asBoolean()).isFalse();
        assertThat(Base64.getDecoder().decode(small.get("raw_base64").asText())).containsExactly(1, 2);
    }
}
