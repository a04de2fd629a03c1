package io.sonaflink.connectors.registry;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The safetensors file format (Hugging Face), for 32-bit float tensors: an 8-byte little-endian
 * header length {@code N}, {@code N} bytes of UTF-8 JSON ({@code "__metadata__"}: string to string,
 * then per tensor {@code {"dtype":"F32","shape":[..],"data_offsets":[begin,end]}} with offsets
 * relative to the data section), padded with spaces to a multiple of 8, then the tensors'
 * little-endian bytes back to back.
 *
 * <p>Writing is deterministic (tensors in name order, metadata in key order, compact JSON), so the
 * same tensors always give the same bytes and the same checksum. Reading validates what a serving
 * stack would trip over: header bounds, dtype, shapes against offsets, contiguous data.
 */
public final class SafeTensors {

    /** The largest header a reader accepts (the reference implementation's limit). */
    public static final int MAX_HEADER_BYTES = 100_000_000;
    static final String METADATA = "__metadata__";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensors() {}

    /** One row-major float tensor. */
    public record Tensor(String name, int[] shape, float[] data) {
        public Tensor {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty() || name.equals(METADATA)) {
                throw new IllegalArgumentException("invalid tensor name: '" + name + "'");
            }
            long elements = 1;
            for (int s : shape) {
                if (s < 0) {
                    throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
                }
                elements *= s;
            }
            if (elements != data.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + elements
                        + " elements, data has " + data.length);
            }
        }

        /** Element {@code [row, column]} of a two-dimensional tensor. */
        public float get(int row, int column) {
            return data[row * shape[1] + column];
        }
    }

    /** A file's tensors (in name order) and metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
        public Tensor tensor(String name) {
            Tensor t = tensors.get(name);
            if (t == null) {
                throw new IllegalArgumentException("no tensor '" + name + "' in " + tensors.keySet());
            }
            return t;
        }
    }

    public static byte[] write(List<Tensor> tensors, Map<String, String> metadata) {
        TreeMap<String, Tensor> byName = new TreeMap<>();
        for (Tensor t : tensors) {
            if (byName.put(t.name(), t) != null) {
                throw new IllegalArgumentException("duplicate tensor name: " + t.name());
            }
        }
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        long offset = 0;
        try (JsonGenerator g = JSON.getFactory().createGenerator(header)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart(METADATA);
                for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
                    g.writeStringField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
            }
            for (Tensor t : byName.values()) {
                g.writeObjectFieldStart(t.name());
                g.writeStringField("dtype", "F32");
                g.writeArrayFieldStart("shape");
                for (int s : t.shape()) {
                    g.writeNumber(s);
                }
                g.writeEndArray();
                long end = offset + 4L * t.data().length;
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(end);
                g.writeEndArray();
                g.writeEndObject();
                offset = end;
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("cannot render a safetensors header", e);
        }
        int padding = (8 - header.size() % 8) % 8;
        for (int i = 0; i < padding; i++) {
            header.write(' ');
        }
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(8 + header.size() + offset)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.size());
        out.put(header.toByteArray());
        for (Tensor t : byName.values()) {
            out.asFloatBuffer().put(t.data());
            out.position(out.position() + 4 * t.data().length);
        }
        return out.array();
    }

    public static Contents read(byte[] bytes) {
        if (bytes.length < 8) {
            throw new IllegalArgumentException("not a safetensors file: " + bytes.length + " bytes");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = in.getLong();
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > bytes.length - 8) {
            throw new IllegalArgumentException("invalid safetensors header length " + headerLength);
        }
        JsonNode header;
        try {
            header = JSON.readTree(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid safetensors header: " + e.getMessage(), e);
        }
        if (header == null || !header.isObject()) {
            throw new IllegalArgumentException("safetensors header is not a JSON object");
        }
        int dataStart = 8 + (int) headerLength;
        long dataLength = bytes.length - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        Map<String, Tensor> tensors = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals(METADATA)) {
                e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            JsonNode t = e.getValue();
            if (!"F32".equals(t.path("dtype").asText())) {
                throw new IllegalArgumentException("tensor " + e.getKey() + ": unsupported dtype " + t.path("dtype"));
            }
            int[] shape = new int[t.path("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.path("shape").get(i).asInt();
            }
            long begin = t.path("data_offsets").path(0).asLong(-1);
            long end = t.path("data_offsets").path(1).asLong(-1);
            if (begin < 0 || end < begin || end > dataLength || (end - begin) % 4 != 0) {
                throw new IllegalArgumentException("tensor " + e.getKey() + ": invalid data offsets [" + begin + ", "
                        + end + "] in " + dataLength + " data bytes");
            }
            float[] data = new float[(int) ((end - begin) / 4)];
            ByteBuffer slice = ByteBuffer.wrap(bytes, dataStart + (int) begin, (int) (end - begin))
                    .slice().order(ByteOrder.LITTLE_ENDIAN);
            slice.asFloatBuffer().get(data);
            tensors.put(e.getKey(), new Tensor(e.getKey(), shape, data));
            ranges.add(new long[] {begin, end});
        }
        ranges.sort((a, b) -> Long.compare(a[0], b[0]));
        long expected = 0;
        for (long[] r : ranges) {
            if (r[0] != expected) {
                throw new IllegalArgumentException("safetensors data is not contiguous at offset " + expected);
            }
            expected = r[1];
        }
        if (expected != dataLength) {
            throw new IllegalArgumentException("safetensors data has " + (dataLength - expected) + " trailing bytes");
        }
        return new Contents(tensors, metadata);
    }
}
