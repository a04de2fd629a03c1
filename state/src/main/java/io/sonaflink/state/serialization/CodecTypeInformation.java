package io.sonaflink.state.serialization;

import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

import java.util.Objects;

/**
 * Flink type information for a type serialised by a {@link StateCodec}: what operators declare
 * with {@code .returns(...)} and in state descriptors, so that neither stream records nor state
 * ever fall back to Kryo.
 */
public final class CodecTypeInformation<T> extends TypeInformation<T> {

    private static final long serialVersionUID = 1L;

    private final Class<T> typeClass;
    private final StateCodec<T> codec;

    public CodecTypeInformation(Class<T> typeClass, StateCodec<T> codec) {
        this.typeClass = Objects.requireNonNull(typeClass, "typeClass");
        this.codec = Objects.requireNonNull(codec, "codec");
    }

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<T> getTypeClass() {
        return typeClass;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<T> createSerializer(SerializerConfig config) {
        return new VersionedStateSerializer<>(codec);
    }

    @Override
    public String toString() {
        return "CodecTypeInformation{" + typeClass.getSimpleName() + " via " + codec.getClass().getSimpleName() + '}';
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof CodecTypeInformation)) {
            return false;
        }
        CodecTypeInformation<?> that = (CodecTypeInformation<?>) o;
        return typeClass == that.typeClass && codec.getClass() == that.codec.getClass();
    }

    @Override
    public int hashCode() {
        return Objects.hash(typeClass, codec.getClass());
    }

    @Override
    public boolean canEqual(Object o) {
        return o instanceof CodecTypeInformation;
    }
}
