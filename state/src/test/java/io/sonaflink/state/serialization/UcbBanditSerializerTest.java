package io.sonaflink.state.serialization;

import io.sonaflink.state.bandit.UcbBandit;

import org.apache.flink.api.common.typeutils.TypeSerializer;

import java.util.List;

class UcbBanditSerializerTest extends VersionedSerializerTestBase<UcbBandit> {

    @Override
    protected TypeSerializer<UcbBandit> createSerializer() {
        return StateSerializers.bandit();
    }

    @Override
    protected Class<UcbBandit> getTypeClass() {
        return UcbBandit.class;
    }

    @Override
    protected UcbBandit[] getTestData() {
        return new UcbBandit[] {
            UcbBandit.create(),
            StateFixtures.playedBandit(),
            new UcbBandit(List.of("a", "b"), new long[] {1_000_000L, 3L}, new double[] {812_345.25, 0.5}, 1_000_003L)
        };
    }
}
