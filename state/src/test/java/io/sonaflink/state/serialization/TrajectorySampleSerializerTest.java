package io.sonaflink.state.serialization;

import static org.assertj.core.api.Assertions.assertThat;

import io.sonaflink.state.sample.TrajectorySample;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.junit.jupiter.api.Test;

class TrajectorySampleSerializerTest extends VersionedSerializerTestBase<TrajectorySample> {

    @Override
    protected TypeSerializer<TrajectorySample> createSerializer() {
        return StateSerializers.trajectorySample();
    }

    @Override
    protected Class<TrajectorySample> getTypeClass() {
        return TrajectorySample.class;
    }

    @Override
    protected TrajectorySample[] getTestData() {
        return new TrajectorySample[] {
            StateFixtures.sampleWithTarget(3L, "rag/rerank"),
            StateFixtures.sampleWithoutTarget(4L, ""),
            StateFixtures.sampleWithoutTarget(5L, "fast")
        };
    }

    @Test
    void copySharesNoArrays() {
        TrajectorySample original = getTestData()[0];
        TrajectorySample copy = createSerializer().copy(original);
        assertThat(copy.embedding()).isNotSameAs(original.embedding());
        assertThat(copy.target()).isNotSameAs(original.target());
    }
}
