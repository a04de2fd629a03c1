package io.sonaflink.connectors.registry;

import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.state.lora.LoraAdapter;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AdapterFilesTest {

    @Test
    void aFileGivesBackItsUpdate() {
        AdapterUpdate u = RegistryFixtures.update(AdapterKind.MICRO, 5, 16, 2, 3, 11L);

        AdapterUpdate back = AdapterFiles.read(AdapterFiles.write(u));

        assertThat(back).isEqualTo(u);
        assertThat(back.servedWithBase()).isEqualTo(3);
    }

    @Test
    void tensorsAreLoraMatricesOfTheDocumentedShapes() {
        LoraAdapter adapter = LoraAdapter.initialize(3, 2, 2, 4f, 1L);
        adapter.bColumn(1, 0)[2] = 0.75f;
        AdapterUpdate u = AdapterUpdate.of(RegistryFixtures.KEY, AdapterKind.BASE, 1, 0, adapter, Map.of(), 5L);

        SafeTensors.Contents c = SafeTensors.read(AdapterFiles.write(u));

        assertThat(c.tensors().keySet()).containsExactly("layers.0.lora_A", "layers.0.lora_B", "layers.1.lora_A",
                "layers.1.lora_B");
        assertThat(c.tensor("layers.1.lora_A").shape()).containsExactly(2, 3);
        assertThat(c.tensor("layers.1.lora_B").shape()).containsExactly(3, 2);
        assertThat(c.tensor("layers.1.lora_B").get(2, 0)).as("B[i][k] = column k, row i").isEqualTo(0.75f);
        assertThat(c.tensor("layers.1.lora_A").get(1, 2)).isEqualTo(adapter.weights()[2 * 2 + 1][2]);
        assertThat(c.metadata()).containsEntry("format", AdapterFiles.FORMAT).containsEntry("kind", "base")
                .containsEntry("version", "1").containsEntry("rank", "2").containsEntry("alpha", "4.0")
                .containsEntry("layers", "2").containsEntry("dim", "3").containsEntry("tenant", "acme");
    }
}
