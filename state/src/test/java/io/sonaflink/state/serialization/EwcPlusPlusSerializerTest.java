package io.sonaflink.state.serialization;

import static org.assertj.core.api.Assertions.assertThat;

import io.sonaflink.state.ewc.EwcConfig;
import io.sonaflink.state.ewc.EwcPlusPlus;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.junit.jupiter.api.Test;

class EwcPlusPlusSerializerTest extends VersionedSerializerTestBase<EwcPlusPlus> {

    @Override
    protected TypeSerializer<EwcPlusPlus> createSerializer() {
        return StateSerializers.ewc();
    }

    @Override
    protected Class<EwcPlusPlus> getTypeClass() {
        return EwcPlusPlus.class;
    }

    @Override
    protected EwcPlusPlus[] getTestData() {
        return new EwcPlusPlus[] {
            // Fresh: NaN task losses, empty history.
            EwcPlusPlus.create(8, EwcConfig.DEFAULT),
            StateFixtures.trainedBaseLora(4).ewc(),
            StateFixtures.baseLoraWithConsolidatedTask().ewc()
        };
    }

    @Test
    void fixtureCarriesAConsolidatedTask() {
        assertThat(getTestData()[2].tasks()).hasSize(1);
    }
}
