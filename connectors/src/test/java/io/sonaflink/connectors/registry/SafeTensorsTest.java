package io.sonaflink.connectors.registry;

import io.sonaflink.connectors.registry.SafeTensors.Tensor;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafeTensorsTest {

    /** The layout, byte for byte: what a safetensors reader (Python, Rust, vLLM) expects. */
    @Test
    void layoutIsTheSafetensorsFormat() {
        byte[] file = SafeTensors.write(List.of(
                new Tensor("b", new int[] {1, 1}, new float[] {3f}),
                new Tensor("a", new int[] {2}, new float[] {1f, -2f})), Map.of("format", "pt"));

        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = in.getLong();
        String header = new String(file, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertThat(header.stripTrailing()).isEqualTo("{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[8,12]}}");
        assertThat((8 + headerLength) % 8).as("data starts 8-byte aligned").isZero();
        assertThat(header.substring(header.stripTrailing().length())).matches(" *");
        assertThat(file).hasSize((int) (8 + headerLength + 12));
        assertThat(Arrays.copyOfRange(file, (int) (8 + headerLength), file.length)).containsExactly(
                0x00, 0x00, (byte) 0x80, 0x3f, // 1.0f, little endian
                0x00, 0x00, 0x00, (byte) 0xc0, // -2.0f
                0x00, 0x00, 0x40, 0x40); // 3.0f
    }

    @Test
    void readerRoundTripsTensorsAndMetadata() {
        float[] data = new float[6];
        for (int i = 0; i < data.length; i++) {
            data[i] = i * 0.5f - 1f;
        }
        byte[] file = SafeTensors.write(List.of(new Tensor("m.weight", new int[] {2, 3}, data)),
                Map.of("k", "v", "format", "pt"));

        SafeTensors.Contents c = SafeTensors.read(file);

        assertThat(c.metadata()).containsExactlyInAnyOrderEntriesOf(Map.of("k", "v", "format", "pt"));
        assertThat(c.tensor("m.weight").shape()).containsExactly(2, 3);
        assertThat(c.tensor("m.weight").data()).containsExactly(data);
        assertThat(c.tensor("m.weight").get(1, 2)).isEqualTo(data[5]);
        assertThat(SafeTensors.write(List.of(new Tensor("m.weight", new int[] {2, 3}, data)),
                Map.of("format", "pt", "k", "v"))).as("deterministic").isEqualTo(file);
    }

    @Test
    void readerRejectsBrokenFiles() {
        byte[] file = SafeTensors.write(List.of(new Tensor("t", new int[] {2}, new float[] {1f, 2f})), Map.of());
        assertThatThrownBy(() -> SafeTensors.read(Arrays.copyOf(file, file.length - 4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("data offsets");
        assertThatThrownBy(() -> SafeTensors.read(Arrays.copyOf(file, file.length + 4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trailing");
        byte[] hugeHeader = file.clone();
        ByteBuffer.wrap(hugeHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
        assertThatThrownBy(() -> SafeTensors.read(hugeHeader)).hasMessageContaining("header length");
        assertThatThrownBy(() -> new Tensor("t", new int[] {3}, new float[2])).hasMessageContaining("holds 3");
        assertThatThrownBy(() -> SafeTensors.write(List.of(new Tensor("t", new int[] {0}, new float[0]),
                new Tensor("t", new int[] {0}, new float[0])), Map.of())).hasMessageContaining("duplicate");
    }
}
