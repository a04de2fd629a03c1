package io.sonaflink.state.serialization;

import io.sonaflink.state.lora.AdamOptimizer;

import org.apache.flink.api.common.typeutils.TypeSerializer;

class AdamOptimizerSerializerTest extends VersionedSerializerTestBase<AdamOptimizer> {

    @Override
    protected TypeSerializer<AdamOptimizer> createSerializer() {
        return StateSerializers.adam();
    }

    @Override
    protected Class<AdamOptimizer> getTypeClass() {
        return AdamOptimizer.class;
    }

    @Override
    protected AdamOptimizer[] getTestData() {
        return new AdamOptimizer[] {
            AdamOptimizer.create(new float[2][8]),
            StateFixtures.trainedBaseLora(1).optimizer(),
            StateFixtures.baseLoraWithConsolidatedTask().optimizer()
        };
    }
}
