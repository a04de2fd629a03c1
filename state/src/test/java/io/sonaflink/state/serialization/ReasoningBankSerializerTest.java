package io.sonaflink.state.serialization;

import static org.assertj.core.api.Assertions.assertThat;

import io.sonaflink.state.bank.ReasoningBank;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.junit.jupiter.api.Test;

class ReasoningBankSerializerTest extends VersionedSerializerTestBase<ReasoningBank> {

    @Override
    protected TypeSerializer<ReasoningBank> createSerializer() {
        return StateSerializers.reasoningBank();
    }

    @Override
    protected Class<ReasoningBank> getTypeClass() {
        return ReasoningBank.class;
    }

    @Override
    protected ReasoningBank[] getTestData() {
        ReasoningBank evicted = StateFixtures.reasoningBank();
        evicted.evictToCapacity(2);
        return new ReasoningBank[] {ReasoningBank.create(StateFixtures.DIM), StateFixtures.reasoningBank(), evicted};
    }

    @Test
    void fixtureHoldsSeveralPatternsWithParameters() {
        ReasoningBank bank = StateFixtures.reasoningBank();
        assertThat(bank.size()).isEqualTo(4);
        assertThat(bank.patterns().get(0).sampleCount()).isEqualTo(20L);
        assertThat(bank.patterns()).allSatisfy(p -> assertThat(p.numericParams()).isNotEmpty());
    }

    @Test
    void copySharesNoCentroid() {
        ReasoningBank original = StateFixtures.reasoningBank();
        ReasoningBank copy = createSerializer().copy(original);
        for (int i = 0; i < original.size(); i++) {
            assertThat(copy.patterns().get(i).centroid()).isNotSameAs(original.patterns().get(i).centroid());
        }
    }
}
