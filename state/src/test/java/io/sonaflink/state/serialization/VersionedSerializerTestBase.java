package io.sonaflink.state.serialization;

import org.apache.flink.api.common.typeutils.SerializerTestBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Flink's serializer contract (copy, round trip, snapshot/restore, duplicate, Java
 * serializability) for a {@link VersionedStateSerializer}: variable length, and {@code null} from
 * {@code createInstance()} since learned state has no meaningful empty value.
 */
abstract class VersionedSerializerTestBase<T> extends SerializerTestBase<T> {

    @Override
    protected int getLength() {
        return -1;
    }

    @Override
    protected boolean allowNullInstances(TypeSerializer<T> serializer) {
        return true;
    }
}
