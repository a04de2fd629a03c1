package io.sonaflink.connectors.registry;

import io.sonaflink.connectors.registry.SafeTensors.Tensor;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.state.serving.LowRankDelta;
import io.sonaflink.state.serving.ServedModel;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The served stack as a PEFT LoRA adapter that serving stacks (vLLM, LoRAX, PEFT itself) load:
 * {@code adapter_model.safetensors} and {@code adapter_config.json}.
 *
 * <p>The served change of an input is one low-rank product ({@link LowRankDelta}: {@code A =
 * [A_b; A_m]}, {@code B = [s_b B_b | s_m B_m]}, rank {@code r_b + r_m}), written with {@code
 * lora_alpha = r} so that PEFT's scale {@code lora_alpha / r} is 1. It is written for each configured layer of the
 * target module under PEFT's names, {@code base_model.model.<module>.lora_A.weight} and {@code
 * .lora_B.weight}; a wrong prefix makes a server load the file and silently serve the base model,
 * so the names are golden-tested. Adapters of more than one layer are composed, not summed, and
 * have no single-LoRA form: they are not exported.
 *
 * @param baseModel {@code base_model_name_or_path} of the model the adapter is for
 * @param targetModule the module's name in the model, with {@code {i}} for the layer index, e.g.
 *     {@code model.layers.{i}.self_attn.o_proj}; its input and output width must be the embedding
 *     dimension
 * @param layerIndices the layers {@code {i}} takes (ignored when the name has no {@code {i}})
 */
public record PeftExport(String baseModel, String targetModule, List<Integer> layerIndices) implements Serializable {

    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    public static final String CONFIG_FILE = "adapter_config.json";
    static final String PREFIX = "base_model.model.";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public PeftExport {
        Objects.requireNonNull(baseModel, "baseModel");
        Objects.requireNonNull(targetModule, "targetModule");
        layerIndices = List.copyOf(layerIndices);
        if (baseModel.isBlank() || targetModule.isBlank()) {
            throw new IllegalArgumentException("a PEFT export needs a base model and a target module");
        }
        if (targetModule.contains("{i}") && layerIndices.isEmpty()) {
            throw new IllegalArgumentException("target module " + targetModule + " names a layer {i}: give the layers");
        }
    }

    /** The files of the export, by name; empty when the stack has no single-LoRA form or is the identity. */
    public Map<String, byte[]> files(AdapterUpdate base, AdapterUpdate micro) {
        if (base != null && micro != null && base.dim() != micro.dim()) {
            return Map.of();
        }
        int dim = base != null ? base.dim() : micro != null ? micro.dim() : 0;
        LowRankDelta delta = dim == 0 ? null : LowRankDelta.of(new ServedModel(
                base == null ? null : base.toAdapter(), micro == null ? null : micro.toAdapter()), dim);
        if (delta == null || delta.rank() == 0) {
            return Map.of();
        }
        int r = delta.rank();
        List<Tensor> tensors = new ArrayList<>();
        for (String module : modules()) {
            tensors.add(new Tensor(PREFIX + module + ".lora_A.weight", new int[] {r, dim}, delta.a()));
            tensors.add(new Tensor(PREFIX + module + ".lora_B.weight", new int[] {dim, r}, delta.b()));
        }
        return Map.of(WEIGHTS_FILE, SafeTensors.write(tensors, Map.of("format", "pt")), CONFIG_FILE, config(r));
    }

    /** The module names the adapter is written for. */
    public List<String> modules() {
        if (!targetModule.contains("{i}")) {
            return List.of(targetModule);
        }
        return layerIndices.stream().map(i -> targetModule.replace("{i}", Integer.toString(i))).toList();
    }

    private byte[] config(int rank) {
        ObjectNode c = JSON.createObjectNode();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        c.put("base_model_name_or_path", baseModel);
        c.put("r", rank);
        c.put("lora_alpha", rank);
        c.put("lora_dropout", 0.0);
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.put("inference_mode", true);
        c.put("use_rslora", false);
        c.put("use_dora", false);
        ArrayNode targets = c.putArray("target_modules");
        targets.add(targetModule.substring(targetModule.lastIndexOf('.') + 1));
        if (targetModule.contains("{i}")) {
            ArrayNode layers = c.putArray("layers_to_transform");
            layerIndices.forEach(layers::add);
        }
        try {
            return JSON.writeValueAsBytes(c);
        } catch (IOException e) {
            throw new IllegalStateException("cannot render adapter_config.json", e);
        }
    }
}
