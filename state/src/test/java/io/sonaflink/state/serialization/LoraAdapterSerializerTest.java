package io.sonaflink.state.serialization;

import io.sonaflink.state.lora.LoraAdapter;

import org.apache.flink.api.common.typeutils.SerializerTestBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/** Flink's serializer contract (copy, round trip, snapshot/restore, duplicate) for {@link LoraAdapter}. */
class LoraAdapterSerializerTest extends SerializerTestBase<LoraAdapter> {

    @Override
    protected TypeSerializer<LoraAdapter> createSerializer() {
        return new VersionedStateSerializer<>(new LoraAdapterCodec());
    }

    @Override
    protected int getLength() {
        return -1;
    }

    @Override
    protected Class<LoraAdapter> getTypeClass() {
        return LoraAdapter.class;
    }

    @Override
    protected boolean allowNullInstances(TypeSerializer<LoraAdapter> serializer) {
        return true;
    }

    @Override
    protected LoraAdapter[] getTestData() {
        LoraAdapter trained = LoraAdapter.initialize(16, 2, 1, 2f, 7L);
        float[][] weights = trained.weights();
        for (int r = 0; r < weights.length; r++) {
            for (int i = 0; i < weights[r].length; i++) {
                weights[r][i] += 0.01f * (r * weights[r].length + i);
            }
        }
        return new LoraAdapter[] {
            LoraAdapter.initialize(4, 1, 1, 1f, 1L), trained, LoraAdapter.initialize(8, 4, 3, 16f, 3L)
        };
    }
}
