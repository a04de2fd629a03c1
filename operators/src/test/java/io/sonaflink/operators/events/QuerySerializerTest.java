package io.sonaflink.operators.events;

import io.sonaflink.state.serialization.VersionedStateSerializer;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.SerializerTestBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Flink's serializer contract (copy, round trip, snapshot/restore, duplicate, Java
 * serializability) for {@link Query}, through {@link EventCodecs#QUERY}.
 */
class QuerySerializerTest extends SerializerTestBase<Query> {

    @Override
    protected TypeSerializer<Query> createSerializer() {
        TypeSerializer<Query> serializer = EventCodecs.QUERY.createSerializer(new SerializerConfigImpl());
        if (!(serializer instanceof VersionedStateSerializer)) {
            throw new AssertionError("queries must not fall back to a generic serializer: " + serializer);
        }
        return serializer;
    }

    @Override
    protected int getLength() {
        return -1;
    }

    @Override
    protected Class<Query> getTypeClass() {
        return Query.class;
    }

    @Override
    protected boolean allowNullInstances(TypeSerializer<Query> serializer) {
        return true; // createInstance() is null: a query has no meaningful empty value
    }

    @Override
    protected Query[] getTestData() {
        return QueryResponseCodecTest.queries();
    }
}
