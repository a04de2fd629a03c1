package io.sonaflink.operators.gate;

import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.Trajectory;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GateInputTypeTest {

    @Test
    void inputRoundTripsWithGenericTypesDisabled() throws Exception {
        SerializerConfigImpl config = new SerializerConfigImpl();
        config.setGenericTypes(false);
        TypeSerializer<Either<Trajectory, AdapterUpdate>> serializer =
                AdapterGateFunction.INPUT_TYPE.createSerializer(config);

        Trajectory trajectory = new GateFixtures().trajectory(0.7f);
        AdapterUpdate candidate = GateFixtures.candidate(3, 0.5f);
        assertThat(roundTrip(serializer, AdapterGateFunction.trajectory(trajectory)).left()).isEqualTo(trajectory);
        assertThat(roundTrip(serializer, AdapterGateFunction.candidate(candidate)).right()).isEqualTo(candidate);
        assertThat(new AdapterGateFunction.InputKey().getKey(AdapterGateFunction.candidate(candidate)))
                .isEqualTo(GateFixtures.KEY.asString());
    }

    private static <T> T roundTrip(TypeSerializer<T> serializer, T value) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(value, out);
        return serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    }
}
