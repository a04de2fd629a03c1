package io.sonaflink.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The savepoint tool on the committed savepoint of a 0.3 local run (2 keys x 1500 trajectories,
 * 16-dimensional embeddings; its run published base v2 and micro v30 for acme, base v2 and micro
 * v29 for globex).
 */
class SavepointToolTest {

    static final Path FIXTURE = Path.of("src/test/resources/savepoints/0.3-local-run").toAbsolutePath();

    @Test
    void everyKeysVersionsAdaptersMemoryAndBankAreRead() throws Exception {
        Map<String, ObjectNode> keys = SavepointTool.read(FIXTURE.toUri().toString(), null, 3);
        assertThat(keys).containsOnlyKeys("acme/assistant/general", "globex/assistant/general");

        JsonNode acme = keys.get("acme/assistant/general");
        JsonNode gate = acme.get("gate");
        assertThat(gate.get("base").get("published").asLong()).isEqualTo(2);
        assertThat(gate.get("micro").get("published").asLong()).isEqualTo(30);
        assertThat(keys.get("globex/assistant/general").get("gate").get("micro").get("published").asLong())
                .isEqualTo(29);
        // the versions kept for rollback end at the published one, one after the other
        JsonNode kept = gate.get("micro").get("kept");
        assertThat(kept.get(kept.size() - 1).get("version").asLong()).isEqualTo(30);
        for (int i = 1; i < kept.size(); i++) {
            assertThat(kept.get(i).get("version").asLong()).isEqualTo(kept.get(i - 1).get("version").asLong() + 1);
        }
        assertThat(gate.get("microLora").get("rank").asInt()).isEqualTo(2);
        assertThat(gate.get("trajectories").asLong()).isBetween(1000L, 1500L);

        JsonNode background = acme.get("background");
        assertThat(background.get("baseLora").get("rank").asInt()).isEqualTo(8);
        assertThat(background.get("baseLora").get("normB").asDouble()).isPositive();
        assertThat(background.get("ewc").get("lambda").asDouble()).isPositive();
        assertThat(background.get("bank").get("patterns").asInt()).isPositive();
        assertThat(background.get("bank").get("mostUsed")).hasSize(3);
        assertThat(background.get("bank").get("dim").asInt()).isEqualTo(16);
    }

    @Test
    void oneKeyAsText() throws Exception {
        Map<String, ObjectNode> keys = SavepointTool.read(FIXTURE.toString(), "globex/assistant/general", 5);
        assertThat(keys).containsOnlyKeys("globex/assistant/general");
        String text = SavepointTool.text(keys.get("globex/assistant/general"));
        assertThat(text).startsWith("globex/assistant/general\n")
                .contains("  micro: published v29, ")
                .contains("  base: published v2, ")
                .containsPattern("  MicroLoRA now: rank 2, \\|A\\| [0-9.]+, \\|B\\| [0-9.]+, \\d+ corrections seen")
                .containsPattern("  BaseLoRA now: rank 8, ")
                .containsPattern("  bank: \\d+ patterns");
        assertThat(SavepointTool.read(FIXTURE.toString(), "nobody/at/all", 5)).isEmpty();
    }

    @Test
    void normsFollowTheAdaptersLayout() {
        // one layer, rank 1: A's row then B's column
        double[] norms = SavepointTool.norms(new float[][] {{3, 4}, {0, 2}}, 1, 1);
        assertThat(norms).containsExactly(5.0, 2.0);
    }
}
