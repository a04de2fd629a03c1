package io.sonaflink.state.serialization;

import static org.assertj.core.api.Assertions.assertThat;

import io.sonaflink.state.ewc.EwcConfig;
import io.sonaflink.state.lora.BaseLora;
import io.sonaflink.state.lora.BaseLoraConfig;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class BaseLoraSerializerTest extends VersionedSerializerTestBase<BaseLora> {

    @Override
    protected TypeSerializer<BaseLora> createSerializer() {
        return StateSerializers.baseLora();
    }

    @Override
    protected Class<BaseLora> getTypeClass() {
        return BaseLora.class;
    }

    @Override
    protected BaseLora[] getTestData() {
        return new BaseLora[] {
            BaseLora.create(16, BaseLoraConfig.DEFAULT, EwcConfig.DEFAULT, 3L),
            StateFixtures.trainedBaseLora(2),
            StateFixtures.baseLoraWithConsolidatedTask()
        };
    }

    /** Restored state must keep learning exactly like the original: random state and EWC included. */
    @Test
    void restoredStateTrainsLikeTheOriginal() throws Exception {
        BaseLora original = StateFixtures.baseLoraWithConsolidatedTask();
        assertThat(original.ewc().tasks()).hasSize(1);
        DataOutputSerializer out = new DataOutputSerializer(4096);
        createSerializer().serialize(original, out);
        BaseLora restored = createSerializer().deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));

        original.train(StateFixtures.examples(12, 3, 9_000L), StateFixtures.BASE_CONFIG, StateFixtures.EWC_CONFIG);
        restored.train(StateFixtures.examples(12, 3, 9_000L), StateFixtures.BASE_CONFIG, StateFixtures.EWC_CONFIG);

        assertThat(restored).isEqualTo(original);
    }
}
