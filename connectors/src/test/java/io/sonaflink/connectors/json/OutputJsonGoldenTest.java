package io.sonaflink.connectors.json;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.events.Response;
import io.sonaflink.state.bank.Pattern;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pins the bytes of the hot outputs (responses, adapter updates, pattern snapshots), byte for byte:
 * consumers parse them, and the renderer is written for speed. {@code -Dsona.golden.write=true}
 * rewrites the files from the current renderer.
 */
class OutputJsonGoldenTest {

    private static final Path GOLDEN = Path.of("src/test/resources/golden");
    private static final AdapterKey KEY = new AdapterKey("acme", "support", "bil\"ling/\u00e9");

    @Test
    void aResponse() throws IOException {
        Map<String, Double> numeric = new TreeMap<>(Map.of("ef_search", 72.5, "rerank", 1.0));
        check("response.json", OutputJson.response(new Response("q-1", KEY, 7L, 2L,
                new float[] {0.5f, -0.25f, 1e-20f, 3.4028235e38f, -0f, 0.1f}, true, 12L, "hnsw-rerank",
                Map.of("strategy", "greedy", "rerank", "true"), numeric, 0.81f, Float.NaN, 5L)));
    }

    @Test
    void anErrorResponse() throws IOException {
        check("response-error.json", OutputJson.response(Response.rejected("q-2", null, "embedding: missing\n", 9L)));
    }

    @Test
    void anAdapterUpdate() throws IOException {
        Map<String, Double> metrics = new TreeMap<>(Map.of("meanLoss", 0.125, "servedWithBase", 3.0));
        metrics.put("undefined", Double.NaN);
        check("adapter-update.json", OutputJson.adapterUpdate(new AdapterUpdate(KEY, AdapterKind.MICRO, 8, 7, 1, 1,
                2f, new float[][] {{0.1f, -0.2f, 0.3f}, {1e-7f, 2.5f, -3f}}, metrics, 1_700_000_000_123L)));
    }

    @Test
    void aPatternSnapshot() throws IOException {
        Pattern a = new Pattern(1, new float[] {0.25f, -0.5f}, 40, 0.75, 0.5, "route-a", Map.of("strategy", "beam"),
                Map.of("ef_search", 64.0), 2, 5);
        Pattern b = new Pattern(2, new float[] {1f, 0f}, 3, 0.1, 0.0, "", Map.of(), Map.of(), 4, 4);
        check("pattern-snapshot.json", OutputJson.patternSnapshot(new PatternSnapshot(KEY, 5, 1_700_000_000_000L,
                List.of(a, b))));
    }

    private static void check(String name, byte[] rendered) throws IOException {
        Path file = GOLDEN.resolve(name);
        if (Boolean.getBoolean("sona.golden.write")) {
            Files.write(file, rendered);
        }
        assertThat(new String(rendered, StandardCharsets.UTF_8))
                .isEqualTo(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
    }
}
