package io.sonaflink.state.serialization;

import static org.assertj.core.api.Assertions.assertThat;

import io.sonaflink.state.lora.MicroLora;
import io.sonaflink.state.lora.MicroLoraConfig;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.junit.jupiter.api.Test;

class MicroLoraSerializerTest extends VersionedSerializerTestBase<MicroLora> {

    @Override
    protected TypeSerializer<MicroLora> createSerializer() {
        return StateSerializers.microLora();
    }

    @Override
    protected Class<MicroLora> getTypeClass() {
        return MicroLora.class;
    }

    @Override
    protected MicroLora[] getTestData() {
        return new MicroLora[] {
            MicroLora.create(StateFixtures.DIM, MicroLoraConfig.DEFAULT, 5L),
            // Six events with flushes every four: one flush applied, two events' gradient pending.
            StateFixtures.observedMicroLora(2, 4, 6),
            StateFixtures.observedMicroLora(1, 1, 5)
        };
    }

    @Test
    void fixtureHasAPendingGradient() {
        MicroLora lora = StateFixtures.observedMicroLora(2, 4, 6);
        assertThat(lora.flushes()).isEqualTo(1L);
        assertThat(lora.pendingEvents()).isEqualTo(2);
        assertThat(lora.pendingGradient()).isNotEqualTo(io.sonaflink.state.math.Blocks.zerosLike(lora.pendingGradient()));
    }
}
