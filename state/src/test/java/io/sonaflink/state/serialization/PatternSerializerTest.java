package io.sonaflink.state.serialization;

import static org.assertj.core.api.Assertions.assertThat;

import io.sonaflink.state.bank.Pattern;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.junit.jupiter.api.Test;

import java.util.Map;

class PatternSerializerTest extends VersionedSerializerTestBase<Pattern> {

    @Override
    protected TypeSerializer<Pattern> createSerializer() {
        return StateSerializers.pattern();
    }

    @Override
    protected Class<Pattern> getTypeClass() {
        return Pattern.class;
    }

    @Override
    protected Pattern[] getTestData() {
        Pattern merged = StateFixtures.reasoningBank().patterns().get(0);
        return new Pattern[] {
            new Pattern(1L, StateFixtures.vector(4, 1L), 1L, 0.5, 0.0, "", Map.of(), Map.of(), 0L, 0L),
            StateFixtures.pattern(7L, "tool-call/äöü", 42L, 3L).withId(12L),
            merged
        };
    }

    @Test
    void copySharesNoCentroid() {
        Pattern original = getTestData()[1];
        assertThat(createSerializer().copy(original).centroid()).isNotSameAs(original.centroid());
    }
}
