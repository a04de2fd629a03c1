package io.sonaflink.connectors.registry;

import io.sonaflink.connectors.registry.SafeTensors.Tensor;
import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One adapter version as a safetensors file of the registry: per layer {@code l} the tensors
 * {@code layers.<l>.lora_A} of shape {@code [rank, dim]} and {@code layers.<l>.lora_B} of shape
 * {@code [dim, rank]} (layer {@code l} maps {@code x -> x + alpha/rank * B A x}; layers apply in
 * order), and metadata: {@code format}, key parts, kind, version, parent version, rank, alpha,
 * layers, dim, createdAt and the update's metrics as {@code metric.<name>}. The file alone gives
 * back the {@link AdapterUpdate} it was written from.
 */
public final class AdapterFiles {

    public static final String FORMAT = "sona-lora/1";

    private AdapterFiles() {}

    public static String tensorA(int layer) {
        return "layers." + layer + ".lora_A";
    }

    public static String tensorB(int layer) {
        return "layers." + layer + ".lora_B";
    }

    public static byte[] write(AdapterUpdate u) {
        List<Tensor> tensors = new ArrayList<>();
        for (int l = 0; l < u.layers(); l++) {
            tensors.add(new Tensor(tensorA(l), new int[] {u.rank(), u.dim()}, loraA(u, l)));
            tensors.add(new Tensor(tensorB(l), new int[] {u.dim(), u.rank()}, loraB(u, l)));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("tenant", u.key().tenant());
        meta.put("persona", u.key().persona());
        meta.put("domain", u.key().domain());
        meta.put("kind", RegistryLayout.kindSegment(u.kind()));
        meta.put("version", Long.toString(u.version()));
        meta.put("parent_version", Long.toString(u.parentVersion()));
        meta.put("rank", Integer.toString(u.rank()));
        meta.put("alpha", Float.toString(u.alpha()));
        meta.put("layers", Integer.toString(u.layers()));
        meta.put("dim", Integer.toString(u.dim()));
        meta.put("created_at", Long.toString(u.createdAt()));
        u.metrics().forEach((name, value) -> meta.put("metric." + name, Double.toString(value)));
        return SafeTensors.write(tensors, meta);
    }

    public static AdapterUpdate read(byte[] bytes) {
        SafeTensors.Contents c = SafeTensors.read(bytes);
        Map<String, String> meta = c.metadata();
        if (!FORMAT.equals(meta.get("format"))) {
            throw new IllegalArgumentException("not a " + FORMAT + " file: format " + meta.get("format"));
        }
        int rank = Integer.parseInt(meta.get("rank"));
        int layers = Integer.parseInt(meta.get("layers"));
        int dim = Integer.parseInt(meta.get("dim"));
        float[][] weights = new float[2 * rank * layers][dim];
        for (int l = 0; l < layers; l++) {
            Tensor a = c.tensor(tensorA(l));
            Tensor b = c.tensor(tensorB(l));
            for (int k = 0; k < rank; k++) {
                System.arraycopy(a.data(), k * dim, weights[l * 2 * rank + k], 0, dim);
                float[] column = weights[l * 2 * rank + rank + k];
                for (int i = 0; i < dim; i++) {
                    column[i] = b.get(i, k);
                }
            }
        }
        Map<String, Double> metrics = new TreeMap<>();
        meta.forEach((name, value) -> {
            if (name.startsWith("metric.")) {
                metrics.put(name.substring("metric.".length()), Double.parseDouble(value));
            }
        });
        return new AdapterUpdate(new AdapterKey(meta.get("tenant"), meta.get("persona"), meta.get("domain")),
                AdapterKind.valueOf(meta.get("kind").toUpperCase(Locale.ROOT)), Long.parseLong(meta.get("version")),
                Long.parseLong(meta.get("parent_version")), rank, layers, Float.parseFloat(meta.get("alpha")), weights,
                metrics, Long.parseLong(meta.get("created_at")));
    }

    /** {@code A_l} row-major, {@code [rank, dim]}. */
    private static float[] loraA(AdapterUpdate u, int layer) {
        int r = u.rank();
        int d = u.dim();
        float[] a = new float[r * d];
        for (int k = 0; k < r; k++) {
            System.arraycopy(u.weights()[layer * 2 * r + k], 0, a, k * d, d);
        }
        return a;
    }

    /** {@code B_l} row-major, {@code [dim, rank]}. */
    private static float[] loraB(AdapterUpdate u, int layer) {
        int r = u.rank();
        int d = u.dim();
        float[] b = new float[d * r];
        for (int k = 0; k < r; k++) {
            float[] column = u.weights()[layer * 2 * r + r + k];
            for (int i = 0; i < d; i++) {
                b[i * r + k] = column[i];
            }
        }
        return b;
    }
}
