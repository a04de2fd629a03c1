package io.sonaflink.operators.events;

import io.sonaflink.state.serialization.VersionedStateSerializer;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.SerializerTestBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Flink's serializer contract (copy, round trip, snapshot/restore, duplicate, Java
 * serializability) for {@link Response}, through {@link EventCodecs#RESPONSE}.
 */
class ResponseSerializerTest extends SerializerTestBase<Response> {

    @Override
    protected TypeSerializer<Response> createSerializer() {
        TypeSerializer<Response> serializer = EventCodecs.RESPONSE.createSerializer(new SerializerConfigImpl());
        if (!(serializer instanceof VersionedStateSerializer)) {
            throw new AssertionError("responses must not fall back to a generic serializer: " + serializer);
        }
        return serializer;
    }

    @Override
    protected int getLength() {
        return -1;
    }

    @Override
    protected Class<Response> getTypeClass() {
        return Response.class;
    }

    @Override
    protected boolean allowNullInstances(TypeSerializer<Response> serializer) {
        return true; // createInstance() is null: a response has no meaningful empty value
    }

    @Override
    protected Response[] getTestData() {
        return QueryResponseCodecTest.responses();
    }
}
