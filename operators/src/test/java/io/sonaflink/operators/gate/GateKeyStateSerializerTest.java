package io.sonaflink.operators.gate;

import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.state.serialization.VersionedStateSerializer;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.SerializerTestBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/** Flink's serializer contract for the gate's per-key state, through {@link GateKeyStateCodec#TYPE}. */
class GateKeyStateSerializerTest extends SerializerTestBase<GateKeyState> {

    @Override
    protected TypeSerializer<GateKeyState> createSerializer() {
        TypeSerializer<GateKeyState> serializer = GateKeyStateCodec.TYPE.createSerializer(new SerializerConfigImpl());
        if (!(serializer instanceof VersionedStateSerializer)) {
            throw new AssertionError("gate state must not fall back to a generic serializer: " + serializer);
        }
        return serializer;
    }

    @Override
    protected int getLength() {
        return -1;
    }

    @Override
    protected Class<GateKeyState> getTypeClass() {
        return GateKeyState.class;
    }

    @Override
    protected boolean allowNullInstances(TypeSerializer<GateKeyState> serializer) {
        return true;
    }

    @Override
    protected GateKeyState[] getTestData() {
        GateKeyState fresh = new GateKeyState();
        GateKeyState busy = new GateKeyState();
        busy.heldOutWritten = 1_000;
        busy.heldOutCapacity = 256;
        busy.qualitiesWritten = 5_000;
        busy.qualityCapacity = 200;
        busy.lineage(AdapterKind.MICRO).published = 12;
        busy.lineage(AdapterKind.MICRO).watch(11, 0.81);
        busy.lineage(AdapterKind.MICRO).watchedCount = 17;
        busy.lineage(AdapterKind.MICRO).watchedQualitySum = 13.5;
        busy.lineage(AdapterKind.BASE).published = 3;
        return new GateKeyState[] {fresh, busy};
    }
}
