package io.sonaflink.operators.gate;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.Control;
import io.sonaflink.operators.events.ControlCodec;
import io.sonaflink.operators.events.ControlCommand;
import io.sonaflink.state.serialization.VersionedStateSerializer;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.SerializerTestBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;

import java.util.Map;

/** Flink's serializer contract for {@link Control}, through {@link ControlCodec#TYPE}. */
class ControlSerializerTest extends SerializerTestBase<Control> {

    @Override
    protected TypeSerializer<Control> createSerializer() {
        TypeSerializer<Control> serializer = ControlCodec.TYPE.createSerializer(new SerializerConfigImpl());
        if (!(serializer instanceof VersionedStateSerializer)) {
            throw new AssertionError("control commands must not fall back to a generic serializer: " + serializer);
        }
        return serializer;
    }

    @Override
    protected int getLength() {
        return -1;
    }

    @Override
    protected Class<Control> getTypeClass() {
        return Control.class;
    }

    @Override
    protected boolean allowNullInstances(TypeSerializer<Control> serializer) {
        return true; // createInstance() is null: a command has no meaningful empty value
    }

    @Override
    protected Control[] getTestData() {
        AdapterKey key = new AdapterKey("acme", "support", "billing");
        return new Control[] {
            Control.rollback("c-1", key, AdapterKind.MICRO, 3, 1_700_000_000_000L),
            Control.pauseLearning("c-2", null, 2L),
            Control.setGovernor("c-3", key, Map.of("ENABLE_ORACLE_REFINEMENT", false, "FORCE_GPT4O_ARBITER", true), 3L),
            Control.setThresholds("c-4", null, Map.of(Control.THRESHOLD_RETENTION, 0.9), 4L),
            new Control("c-5", ControlCommand.PROMOTE, key, AdapterKind.BASE, 0, Map.of("x", true),
                    Map.of(Control.THRESHOLD_AUTO_ROLLBACK_QUALITY, 0.8), 5L)
        };
    }
}
