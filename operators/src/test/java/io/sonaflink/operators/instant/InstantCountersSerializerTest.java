package io.sonaflink.operators.instant;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.state.serialization.VersionedStateSerializer;

import org.apache.flink.api.common.typeutils.SerializerTestBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/** Flink's serializer contract for the instant loop's per-key counters state. */
class InstantCountersSerializerTest extends SerializerTestBase<InstantCounters> {

    @Override
    protected TypeSerializer<InstantCounters> createSerializer() {
        return new VersionedStateSerializer<>(new InstantCountersCodec());
    }

    @Override
    protected int getLength() {
        return -1;
    }

    @Override
    protected Class<InstantCounters> getTypeClass() {
        return InstantCounters.class;
    }

    @Override
    protected boolean allowNullInstances(TypeSerializer<InstantCounters> serializer) {
        return true;
    }

    @Override
    protected InstantCounters[] getTestData() {
        AdapterKey key = new AdapterKey("acme", "analyst", "sql");
        return new InstantCounters[] {
            InstantCounters.empty(key),
            new InstantCounters(key, 1_000L, 712.5, 300L, 7L, 3.25, 1_700_000_000_123L, 1_700_000_010_000L),
            new InstantCounters(new AdapterKey("", "ü", "a/b"), Long.MAX_VALUE, Double.MIN_VALUE, 0L, 0L, 0.0,
                    Long.MIN_VALUE, InstantCounters.NO_TIMER)
        };
    }
}
