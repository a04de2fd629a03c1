package io.sonaflink.operators.events;

import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.HexFormat;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Round trips and pinned v1 formats of {@link EventCodecs.QueryCodec} and {@link EventCodecs.ResponseCodec}. */
class QueryResponseCodecTest {

    private static final AdapterKey KEY = new AdapterKey("acme", "support", "billing");

    static Query[] queries() {
        float[] wide = new float[256];
        for (int i = 0; i < wide.length; i++) {
            wide[i] = (i - 128) / 64f;
        }
        return new Query[] {
            new Query("q-1", KEY, new float[] {0.5f, -0.25f, 0f, 1f}, 1_700_000_000_000L),
            new Query("q-2", new AdapterKey("tenant-ü", "persona", "domain"), wide, 0L),
            new Query("", KEY, new float[] {-0.0f, Float.MIN_VALUE, -Float.MAX_VALUE}, Long.MAX_VALUE)
        };
    }

    static Response[] responses() {
        return new Response[] {
            new Response("q-1", KEY, 7, 2, new float[] {0.5f, -0.25f, 0f, 1f}, true, 12, "hnsw-rerank",
                    Map.of("strategy", "greedy", "rerank", "true"), Map.of("ef_search", 72.5), 0.81f, 0.93f,
                    1_700_000_000_000L),
            new Response("q-2", KEY, 0, 0, new float[] {1f, 2f}, false, 0, "", Map.of(), Map.of(), 0f, 0f, 5L),
            new Response("q-3", new AdapterKey("tenant-ü", "p", "d"), Long.MAX_VALUE, 1, new float[] {-0.0f}, false,
                    0, "flat", Map.of(), Map.of("top_k", 10.0), Float.NaN, 0f, 6L),
            Response.rejected("q-4", KEY, "embedding: expected 4 values, got 1", 7L),
            Response.rejected("q-5", null, "key: missing", 0L)
        };
    }

    @Test
    void queriesRoundTripThroughTheCodec() throws IOException {
        EventCodecs.QueryCodec codec = new EventCodecs.QueryCodec();
        for (Query query : queries()) {
            DataOutputSerializer out = new DataOutputSerializer(64);
            codec.write(query, out);
            Query read = codec.read(new DataInputDeserializer(out.getCopyOfBuffer()), 1);
            assertThat(read).isEqualTo(query);
            assertThat(read.embedding()).containsExactly(query.embedding());
            assertThat(codec.copy(query)).isEqualTo(query).isNotSameAs(query);
            assertThat(codec.copy(query).embedding()).isNotSameAs(query.embedding());
        }
    }

    @Test
    void responsesRoundTripThroughTheCodec() throws IOException {
        EventCodecs.ResponseCodec codec = new EventCodecs.ResponseCodec();
        for (Response response : responses()) {
            DataOutputSerializer out = new DataOutputSerializer(64);
            codec.write(response, out);
            Response read = codec.read(new DataInputDeserializer(out.getCopyOfBuffer()), codec.currentVersion());
            assertThat(read).isEqualTo(response);
            assertThat(read.discreteParams()).isEqualTo(response.discreteParams());
            assertThat(read.numericParams()).isEqualTo(response.numericParams());
            assertThat(codec.copy(response)).isEqualTo(response);
            assertThat(codec.copy(response).adapted()).isNotSameAs(response.adapted());
        }
    }

    /** Pins format v1: a change to it must bump the codec's version and keep reading this. */
    @Test
    void queryFormatVersionOneIsStable() throws IOException {
        Query query = new Query("q", new AdapterKey("t", "p", "d"), new float[] {1f, -2f}, 1_000L);
        DataOutputSerializer out = new DataOutputSerializer(64);
        new EventCodecs.QueryCodec().write(query, out);
        assertThat(HexFormat.of().formatHex(out.getCopyOfBuffer())).isEqualTo(QUERY_V1);
        assertThat(new EventCodecs.QueryCodec().read(new DataInputDeserializer(HexFormat.of().parseHex(QUERY_V1)), 1))
                .isEqualTo(query);
    }

    private static final String QUERY_V1 = "000171" + "000174" + "000170" + "000164"
            + "00000002" + "3f800000" + "c0000000" + "00000000000003e8";

    /** Pins format v2 (and that v1, of release 0.3 and earlier, is still read). */
    @Test
    void responseFormatsAreStable() throws IOException {
        Response response = new Response("q", new AdapterKey("t", "p", "d"), 3L, 2L, new float[] {0.5f}, true, 9L,
                "r", Map.of("s", "g"), Map.of("n", 0.5), 1f, 0.5f, 1_000L);
        DataOutputSerializer out = new DataOutputSerializer(64);
        new EventCodecs.ResponseCodec().write(response, out);
        assertThat(HexFormat.of().formatHex(out.getCopyOfBuffer())).isEqualTo(RESPONSE_V2);
        assertThat(new EventCodecs.ResponseCodec().read(
                new DataInputDeserializer(HexFormat.of().parseHex(RESPONSE_V1)), 1)).isEqualTo(response);

        Response error = Response.rejected("q", null, "x", 0L);
        out = new DataOutputSerializer(64);
        new EventCodecs.ResponseCodec().write(error, out);
        assertThat(HexFormat.of().formatHex(out.getCopyOfBuffer())).isEqualTo(ERROR_V2);
        assertThat(new EventCodecs.ResponseCodec().read(
                new DataInputDeserializer(HexFormat.of().parseHex(ERROR_V2)), 2)).isEqualTo(error);
    }

    private static final String RESPONSE_V2 = "000171" + "01" + "000174" + "000170" + "000164"
            + "0000000000000003" + "0000000000000002" + "00000001" + "3f000000" + "01" + "0000000000000009"
            + "000172" + "00000001" + "000173" + "000167" + "00000001" + "00016e" + "3fe0000000000000"
            + "3f800000" + "3f000000" + "00000000000003e8" + "00";

    private static final String ERROR_V2 = "000171" + "00" + "0000000000000000" + "0000000000000000" + "00000000"
            + "00" + "0000000000000000" + "0000" + "00000000" + "00000000" + "7fc00000" + "7fc00000"
            + "0000000000000000" + "01" + "000178";

    private static final String RESPONSE_V1 = "000171" + "000174" + "000170" + "000164"
            + "0000000000000003" + "0000000000000002" + "00000001" + "3f000000" + "01" + "0000000000000009"
            + "000172" + "00000001" + "000173" + "000167" + "00000001" + "00016e" + "3fe0000000000000"
            + "3f800000" + "3f000000" + "00000000000003e8";

    @Test
    void rejectUnknownFormatVersions() {
        assertThatThrownBy(() -> new EventCodecs.QueryCodec().read(new DataInputDeserializer(new byte[0]), 2))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("version 2");
        assertThatThrownBy(() -> new EventCodecs.ResponseCodec().read(new DataInputDeserializer(new byte[0]), 3))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("version 3");
    }
}
