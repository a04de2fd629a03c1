package io.sonaflink.state.serialization;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.util.Objects;

/**
 * The Flink {@link TypeSerializer} of every sona-flink state type: it delegates the format to a
 * {@link StateCodec} and records the codec and its version in its snapshot, so that Flink never
 * falls back to Kryo for learned state and a newer release can read an older savepoint.
 *
 * <p>A serializer restored from an older snapshot reads that snapshot's format version; Flink then
 * migrates the state by reading with it and writing with the current serializer.
 */
public final class VersionedStateSerializer<T> extends TypeSerializer<T> {

    private static final long serialVersionUID = 1L;

    private final StateCodec<T> codec;
    private final int readVersion;

    public VersionedStateSerializer(StateCodec<T> codec) {
        this(codec, codec.currentVersion());
    }

    VersionedStateSerializer(StateCodec<T> codec, int readVersion) {
        if (readVersion < 1 || readVersion > codec.currentVersion()) {
            throw new IllegalArgumentException(
                    codec.getClass().getName() + " cannot read format version " + readVersion
                            + " (current " + codec.currentVersion() + ")");
        }
        this.codec = codec;
        this.readVersion = readVersion;
    }

    StateCodec<T> codec() {
        return codec;
    }

    int readVersion() {
        return readVersion;
    }

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TypeSerializer<T> duplicate() {
        return this; // stateless: the codec keeps no mutable state
    }

    @Override
    public T createInstance() {
        return null; // learned state has no meaningful empty value; operators create it from config
    }

    @Override
    public T copy(T from) {
        return from == null ? null : codec.copy(from);
    }

    @Override
    public T copy(T from, T reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(T record, DataOutputView target) throws IOException {
        codec.write(record, target);
    }

    @Override
    public T deserialize(DataInputView source) throws IOException {
        return codec.read(source, readVersion);
    }

    @Override
    public T deserialize(T reuse, DataInputView source) throws IOException {
        return deserialize(source);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        serialize(deserialize(source), target);
    }

    @Override
    public TypeSerializerSnapshot<T> snapshotConfiguration() {
        return new VersionedStateSerializerSnapshot<>(codec, readVersion);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof VersionedStateSerializer)) {
            return false;
        }
        VersionedStateSerializer<?> that = (VersionedStateSerializer<?>) o;
        return readVersion == that.readVersion && codec.getClass() == that.codec.getClass();
    }

    @Override
    public int hashCode() {
        return Objects.hash(codec.getClass().getName(), readVersion);
    }

    @Override
    public String toString() {
        return "VersionedStateSerializer{" + codec.getClass().getSimpleName() + " v" + readVersion + '}';
    }
}
