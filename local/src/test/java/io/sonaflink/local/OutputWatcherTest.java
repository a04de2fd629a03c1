package io.sonaflink.local;

import io.sonaflink.connectors.json.OutputJson;
import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.lora.LoraAdapter;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The watcher reads back exactly what the job's serdes write. */
class OutputWatcherTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AdapterKey KEY = new AdapterKey("acme", "assistant", "general");

    @Test
    void adapterUpdatesReadBackToTheSameAdapter() throws Exception {
        LoraAdapter adapter = LoraAdapter.initialize(16, 2, 1, 2f, 7L);
        adapter.weights()[adapter.weights().length - 1][3] = 0.25f; // B no longer zero
        AdapterUpdate update = AdapterUpdate.of(KEY, AdapterKind.MICRO, 3, 2, adapter, Map.of("meanLoss", 0.5), 1L);

        LoraAdapter read = OutputWatcher.adapter(JSON.readTree(OutputJson.adapterUpdate(update)));

        assertThat(read).isEqualTo(update.toAdapter());
        float[] x = new float[16];
        x[3] = 1f;
        assertThat(read.apply(x)).containsExactly(update.toAdapter().apply(x));
    }

    @Test
    void patternSnapshotsReadBackToTheSameBank() throws Exception {
        Pattern first = new Pattern(4, new float[] {1f, 0f, 0f}, 40, 0.85, 0.4, "route-1",
                Map.of("strategy", "beam"), Map.of("ef_search", 64.0), 1, 2);
        Pattern second = new Pattern(9, new float[] {0f, 1f, 0f}, 12, 0.5, 1.2, "route-3", Map.of(), Map.of(), 2, 2);
        PatternSnapshot snapshot = new PatternSnapshot(KEY, 2, 5L, List.of(first, second));

        ReasoningBank bank = OutputWatcher.bank(JSON.readTree(OutputJson.patternSnapshot(snapshot)));

        assertThat(bank.patterns()).hasSize(2);
        assertThat(bank.patterns().get(0).id()).isEqualTo(4);
        assertThat(bank.patterns().get(0).route()).isEqualTo("route-1");
        assertThat(bank.patterns().get(0).discreteParams()).isEqualTo(Map.of("strategy", "beam"));
        assertThat(bank.patterns().get(0).numericParams()).isEqualTo(Map.of("ef_search", 64.0));
        assertThat(bank.patterns().get(0).confidence()).isCloseTo(first.confidence(), org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(bank.patterns().get(1).confidence()).isCloseTo(second.confidence(), org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(bank.findBest(new float[] {0.1f, 1f, 0f}).pattern().id()).isEqualTo(9);
        assertThat(bank.nextId()).isEqualTo(10);
    }

    @Test
    void deadLetterReasonsAreCountedByKindNotByField() {
        assertThat(OutputWatcher.reasonKind("embedding[0]: NaN is not allowed"))
                .isEqualTo(OutputWatcher.reasonKind("target[31]: NaN is not allowed"))
                .isEqualTo("NaN is not allowed");
        assertThat(OutputWatcher.reasonKind("embedding: expected 256 values, got 255"))
                .isEqualTo(OutputWatcher.reasonKind("target: expected 32 values, got 31"))
                .isEqualTo("expected N values, got N");
        assertThat(OutputWatcher.reasonKind("key: missing")).isEqualTo("missing");
        assertThat(OutputWatcher.reasonKind("malformed JSON: Unexpected end-of-input at line 1, column 88"))
                .isEqualTo("malformed JSON");
        assertThat(OutputWatcher.reasonKind("trajectory 'acme-t1' was not available within 630000 ms (pushed out)"))
                .isEqualTo(OutputWatcher.reasonKind("trajectory 'globex-t9' was not available within 5 ms"))
                .isEqualTo("trajectory '…' was not available within N ms");
        assertThat(OutputWatcher.reasonField("embedding[17]: NaN is not allowed")).isEqualTo("embedding[…]");
        assertThat(OutputWatcher.reasonField("metrics.latency_us: missing")).isEqualTo("metrics.latency_us");
        assertThat(OutputWatcher.reasonField("malformed JSON: Unexpected character")).isEmpty();
    }

    @Test
    void responseLatencyPercentilesAreNearestRank() {
        List<Long> millis = new java.util.ArrayList<>();
        for (long i = 1; i <= 200; i++) {
            millis.add(i);
        }
        OutputWatcher.ResponseLatency latency = OutputWatcher.ResponseLatency.of(millis);
        assertThat(latency.responses()).isEqualTo(200);
        assertThat(latency.p50Ms()).isEqualTo(100);
        assertThat(latency.p99Ms()).isEqualTo(198);
        assertThat(OutputWatcher.ResponseLatency.of(List.of()).p99Ms()).isNaN();
    }
}
