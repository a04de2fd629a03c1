package io.sonaflink.operators.gate;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.GateDecision;
import io.sonaflink.operators.events.GateDecisionCodec;
import io.sonaflink.operators.events.GateDecisionType;
import io.sonaflink.state.serialization.VersionedStateSerializer;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.SerializerTestBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/** Flink's serializer contract for {@link GateDecision}, through {@link GateDecisionCodec#TYPE}. */
class GateDecisionSerializerTest extends SerializerTestBase<GateDecision> {

    @Override
    protected TypeSerializer<GateDecision> createSerializer() {
        TypeSerializer<GateDecision> serializer = GateDecisionCodec.TYPE.createSerializer(new SerializerConfigImpl());
        if (!(serializer instanceof VersionedStateSerializer)) {
            throw new AssertionError("gate decisions must not fall back to a generic serializer: " + serializer);
        }
        return serializer;
    }

    @Override
    protected int getLength() {
        return -1;
    }

    @Override
    protected Class<GateDecision> getTypeClass() {
        return GateDecision.class;
    }

    @Override
    protected boolean allowNullInstances(TypeSerializer<GateDecision> serializer) {
        return true; // createInstance() is null: a decision has no meaningful empty value
    }

    @Override
    protected GateDecision[] getTestData() {
        AdapterKey key = new AdapterKey("acme", "support", "billing");
        return new GateDecision[] {
            new GateDecision(key, AdapterKind.MICRO, 7, GateDecisionType.PROMOTED, 3, "retention 1.0 >= 0.95", 1.0,
                    null, 1_700_000_000_000L),
            new GateDecision(key, AdapterKind.BASE, 2, GateDecisionType.REJECTED, 0, "retention 0.75 < 0.95", 0.75,
                    null, 2L),
            new GateDecision(null, null, 0, GateDecisionType.CONFIGURED, 0, "learning paused for every key",
                    Double.NaN, "c-1", 3L),
            new GateDecision(key, AdapterKind.MICRO, 1, GateDecisionType.ROLLED_BACK, 5, "rollback", Double.NaN,
                    "c-2", 4L)
        };
    }
}
