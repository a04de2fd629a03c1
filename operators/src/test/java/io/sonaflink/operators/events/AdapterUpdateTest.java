package io.sonaflink.operators.events;

import io.sonaflink.state.lora.LoraAdapter;

import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.HexFormat;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AdapterUpdateTest {

    /** Fresh and trained adapters, micro and base, with and without metrics. */
    static AdapterUpdate[] samples() {
        LoraAdapter trained = LoraAdapter.initialize(8, 2, 1, 2f, 5L);
        float[][] w = trained.weights();
        for (int r = 0; r < w.length; r++) {
            for (int i = 0; i < w[r].length; i++) {
                w[r][i] += 0.01f * (r * w[r].length + i) - 0.3f;
            }
        }
        return new AdapterUpdate[] {
            AdapterUpdateSerializerTest.sample(AdapterKind.MICRO, 1L, 0L, LoraAdapter.initialize(4, 1, 1, 1f, 1L)),
            AdapterUpdateSerializerTest.sample(AdapterKind.MICRO, 100L, 90L, trained),
            new AdapterUpdate(new AdapterKey("tenant-ü", "", "d/e"), AdapterKind.BASE, Long.MAX_VALUE, 0L, 8, 3, 16f,
                    LoraAdapter.initialize(16, 8, 3, 16f, 3L).weights(), Map.of(), -1L)
        };
    }

    @Test
    void roundTripsThroughTheCodec() throws IOException {
        AdapterUpdateCodec codec = new AdapterUpdateCodec();
        for (AdapterUpdate update : samples()) {
            DataOutputSerializer out = new DataOutputSerializer(64);
            codec.write(update, out);
            AdapterUpdate read = codec.read(new DataInputDeserializer(out.getCopyOfBuffer()), 1);
            assertThat(read).isEqualTo(update);
            assertThat(read.weights()).isDeepEqualTo(update.weights());
            assertThat(read.metrics()).isEqualTo(update.metrics());
        }
    }

    /** Pins format v1: a change to it must bump the codec's version and keep reading this. */
    @Test
    void formatVersionOneIsStable() throws IOException {
        AdapterUpdate update = new AdapterUpdate(new AdapterKey("t", "p", "d"), AdapterKind.MICRO, 3L, 2L, 1, 1, 1f,
                new float[][] {{1f, -2f}, {0.5f, 0f}}, Map.of("meanLoss", 0.5), 1_000L);
        DataOutputSerializer out = new DataOutputSerializer(64);
        new AdapterUpdateCodec().write(update, out);
        String hex = HexFormat.of().formatHex(out.getCopyOfBuffer());
        assertThat(hex).isEqualTo(GOLDEN_V1);
        assertThat(new AdapterUpdateCodec().read(new DataInputDeserializer(HexFormat.of().parseHex(GOLDEN_V1)), 1))
                .isEqualTo(update);
    }

    private static final String GOLDEN_V1 = "0001740001700001640005" + "4d4943524f"
            + "0000000000000003" + "0000000000000002" + "00000001" + "00000001" + "3f800000"
            + "00000002" + "00000002" + "3f800000" + "c0000000" + "00000002" + "3f000000" + "00000000"
            + "00000001" + "00086d65616e4c6f7373" + "3fe0000000000000" + "00000000000003e8";

    @Test
    void rejectsUnknownFormatVersions() {
        assertThatThrownBy(() -> new AdapterUpdateCodec().read(new DataInputDeserializer(new byte[0]), 2))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("version 2");
    }

    @Test
    void ofCopiesTheWeightsAndToAdapterRebuildsTheAdapter() {
        LoraAdapter adapter = LoraAdapter.initialize(8, 2, 1, 4f, 9L);
        AdapterUpdate update = AdapterUpdate.of(new AdapterKey("t", "p", "d"), AdapterKind.MICRO, 1L, 0L, adapter,
                Map.of(), 5L);
        LoraAdapter rebuilt = update.toAdapter();
        assertThat(rebuilt).isEqualTo(adapter);
        assertThat(update.dim()).isEqualTo(8);
        assertThat(update.scale()).isEqualTo(2f);

        adapter.weights()[0][0] += 1f;
        rebuilt.weights()[1][0] += 1f;
        assertThat(update.weights()[0][0]).isNotEqualTo(adapter.weights()[0][0]);
        assertThat(update.toAdapter().weights()[1][0]).isNotEqualTo(rebuilt.weights()[1][0]);
    }

    @Test
    void validatesVersionsAndShape() {
        AdapterKey key = new AdapterKey("t", "p", "d");
        float[][] rank1 = new float[2][4];
        assertThatThrownBy(() -> new AdapterUpdate(key, AdapterKind.MICRO, 3L, 3L, 1, 1, 1f, rank1, Map.of(), 0L))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AdapterUpdate(key, AdapterKind.MICRO, 1L, -1L, 1, 1, 1f, rank1, Map.of(), 0L))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AdapterUpdate(key, AdapterKind.MICRO, 1L, 0L, 2, 1, 1f, rank1, Map.of(), 0L))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AdapterUpdate(key, AdapterKind.MICRO, 1L, 0L, 1, 1, 0f, rank1, Map.of(), 0L))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AdapterUpdate(key, AdapterKind.MICRO, 1L, 0L, 1, 1, 1f,
                new float[][] {new float[4], new float[3]}, Map.of(), 0L))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void metricsAreSortedAndReadOnly() {
        AdapterUpdate update = new AdapterUpdate(new AdapterKey("t", "p", "d"), AdapterKind.MICRO, 1L, 0L, 1, 1, 1f,
                new float[2][4], Map.of("b", 2.0, "a", 1.0), 0L);
        assertThat(update.metrics().keySet()).containsExactly("a", "b");
        assertThatThrownBy(() -> update.metrics().put("c", 3.0)).isInstanceOf(UnsupportedOperationException.class);
    }
}
