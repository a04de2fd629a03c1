package io.sonaflink.operators.events;

import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.serialization.VersionedStateSerializer;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.SerializerTestBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;

import java.util.Map;

/**
 * Flink's serializer contract (copy, round trip, snapshot/restore, duplicate, Java
 * serializability) for {@link AdapterUpdate}, through {@link AdapterUpdateCodec#TYPE}.
 */
class AdapterUpdateSerializerTest extends SerializerTestBase<AdapterUpdate> {

    @Override
    protected TypeSerializer<AdapterUpdate> createSerializer() {
        TypeSerializer<AdapterUpdate> serializer = AdapterUpdateCodec.TYPE.createSerializer(new SerializerConfigImpl());
        if (!(serializer instanceof VersionedStateSerializer)) {
            throw new AssertionError("adapter updates must not fall back to a generic serializer: " + serializer);
        }
        return serializer;
    }

    @Override
    protected int getLength() {
        return -1;
    }

    @Override
    protected Class<AdapterUpdate> getTypeClass() {
        return AdapterUpdate.class;
    }

    @Override
    protected boolean allowNullInstances(TypeSerializer<AdapterUpdate> serializer) {
        return true; // createInstance() is null: an update has no meaningful empty value
    }

    @Override
    protected AdapterUpdate[] getTestData() {
        return AdapterUpdateTest.samples();
    }

    static AdapterUpdate sample(AdapterKind kind, long version, long parent, LoraAdapter adapter) {
        return AdapterUpdate.of(new AdapterKey("t", "p", "d"), kind, version, parent, adapter,
                Map.of(AdapterUpdate.METRIC_EVENTS_SEEN, (double) version, AdapterUpdate.METRIC_MEAN_LOSS, 0.25),
                1_700_000_000_000L + version);
    }
}
