package io.sonaflink.connectors.registry;

import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.serving.ServedModel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class PeftExportTest {

    private static final PeftExport EXPORT =
            new PeftExport("meta-llama/Llama-3.2-1B", "model.layers.{i}.self_attn.o_proj", List.of(0, 5));

    /** vLLM and PEFT find a LoRA by these exact names; any other prefix loads and adapts nothing. */
    @Test
    void tensorNamesAndShapesArePeftNames() {
        AdapterUpdate base = RegistryFixtures.update(AdapterKind.BASE, 3, 8, 8, 0, 1L);
        AdapterUpdate micro = RegistryFixtures.update(AdapterKind.MICRO, 9, 8, 2, 3, 2L);

        SafeTensors.Contents c = SafeTensors.read(EXPORT.files(base, micro).get(PeftExport.WEIGHTS_FILE));

        assertThat(c.tensors().keySet()).containsExactly(
                "base_model.model.model.layers.0.self_attn.o_proj.lora_A.weight",
                "base_model.model.model.layers.0.self_attn.o_proj.lora_B.weight",
                "base_model.model.model.layers.5.self_attn.o_proj.lora_A.weight",
                "base_model.model.model.layers.5.self_attn.o_proj.lora_B.weight");
        assertThat(c.tensor("base_model.model.model.layers.0.self_attn.o_proj.lora_A.weight").shape())
                .as("[r, in]").containsExactly(10, 8);
        assertThat(c.tensor("base_model.model.model.layers.0.self_attn.o_proj.lora_B.weight").shape())
                .as("[out, r]").containsExactly(8, 10);
        assertThat(c.metadata()).containsEntry("format", "pt");
    }

    @Test
    void adapterConfigIsPeftLora() throws Exception {
        AdapterUpdate base = RegistryFixtures.update(AdapterKind.BASE, 3, 8, 8, 0, 1L);
        JsonNode config = new ObjectMapper().readTree(EXPORT.files(base, null).get(PeftExport.CONFIG_FILE));

        assertThat(config.get("peft_type").asText()).isEqualTo("LORA");
        assertThat(config.get("base_model_name_or_path").asText()).isEqualTo("meta-llama/Llama-3.2-1B");
        assertThat(config.get("r").asInt()).isEqualTo(8);
        assertThat(config.get("lora_alpha").asInt()).as("scale alpha/r = 1: the scales are in B").isEqualTo(8);
        assertThat(config.get("target_modules").toString()).isEqualTo("[\"o_proj\"]");
        assertThat(config.get("layers_to_transform").toString()).isEqualTo("[0,5]");
        assertThat(config.get("use_rslora").asBoolean()).isFalse();
    }

    /** What a serving stack computes from the export, lora_alpha/r · B·A·x, is the served change F(x) − x. */
    @Test
    void exportedLoraIsTheServedStack() {
        AdapterUpdate base = RegistryFixtures.update(AdapterKind.BASE, 3, 16, 8, 0, 4L);
        AdapterUpdate micro = RegistryFixtures.update(AdapterKind.MICRO, 9, 16, 2, 3, 5L);
        Map<String, byte[]> files = EXPORT.files(base, micro);
        SafeTensors.Contents c = SafeTensors.read(files.get(PeftExport.WEIGHTS_FILE));
        SafeTensors.Tensor a = c.tensor("base_model.model.model.layers.5.self_attn.o_proj.lora_A.weight");
        SafeTensors.Tensor b = c.tensor("base_model.model.model.layers.5.self_attn.o_proj.lora_B.weight");
        ServedModel served = new ServedModel(base.toAdapter(), micro.toAdapter());
        DeterministicRandom random = new DeterministicRandom(9L);
        for (int trial = 0; trial < 20; trial++) {
            float[] x = new float[16];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (random.nextDouble() * 2 - 1);
            }
            float[] expected = served.apply(x);
            int r = a.shape()[0];
            double[] ax = new double[r];
            for (int k = 0; k < r; k++) {
                for (int j = 0; j < 16; j++) {
                    ax[k] += a.get(k, j) * x[j];
                }
            }
            for (int i = 0; i < 16; i++) {
                double delta = 0;
                for (int k = 0; k < r; k++) {
                    delta += b.get(i, k) * ax[k];
                }
                assertThat(x[i] + delta).isCloseTo(expected[i], within(1e-5));
            }
        }
    }

    @Test
    void stacksWithoutASingleLoraFormAreNotExported() {
        AdapterUpdate twoLayers = AdapterUpdate.of(RegistryFixtures.KEY, AdapterKind.BASE, 1, 0,
                io.sonaflink.state.lora.LoraAdapter.initialize(8, 2, 2, 2f, 1L), Map.of(), 1L);
        assertThat(EXPORT.files(twoLayers, null)).isEmpty();
        assertThat(EXPORT.files(null, null)).as("identity").isEmpty();
    }
}
