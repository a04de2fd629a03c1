package io.sonaflink.state.serialization;

import static org.assertj.core.api.Assertions.assertThat;

import io.sonaflink.state.sample.ReservoirSampler;
import io.sonaflink.state.sample.TrajectorySample;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.junit.jupiter.api.Test;

class TrajectoryReservoirSerializerTest extends VersionedSerializerTestBase<ReservoirSampler<TrajectorySample>> {

    @Override
    protected TypeSerializer<ReservoirSampler<TrajectorySample>> createSerializer() {
        return StateSerializers.trajectoryReservoir();
    }

    @Override
    @SuppressWarnings("unchecked")
    protected Class<ReservoirSampler<TrajectorySample>> getTypeClass() {
        return (Class<ReservoirSampler<TrajectorySample>>) (Class<?>) ReservoirSampler.class;
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    protected ReservoirSampler<TrajectorySample>[] getTestData() {
        ReservoirSampler<TrajectorySample> drained = StateFixtures.filledReservoir(3, 7);
        drained.drain();
        drained.add(StateFixtures.sampleWithTarget(40L, "fast"));
        return new ReservoirSampler[] {
            ReservoirSampler.<TrajectorySample>create(16, 1L), StateFixtures.filledReservoir(4, 11), drained
        };
    }

    @Test
    void fixtureMixesSamplesWithAndWithoutTargets() {
        ReservoirSampler<TrajectorySample> reservoir = StateFixtures.filledReservoir(4, 11);
        assertThat(reservoir.seen()).isEqualTo(11L);
        assertThat(reservoir.items()).hasSize(4).anyMatch(TrajectorySample::hasTarget)
                .anyMatch(s -> !s.hasTarget());
    }

    @Test
    void copySharesNoSample() {
        ReservoirSampler<TrajectorySample> original = StateFixtures.filledReservoir(4, 11);
        ReservoirSampler<TrajectorySample> copy = createSerializer().copy(original);
        for (int i = 0; i < original.size(); i++) {
            assertThat(copy.items().get(i)).isNotSameAs(original.items().get(i)).isEqualTo(original.items().get(i));
        }
    }
}
