package io.sonaflink.state.serialization;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * Snapshot of a {@link VersionedStateSerializer}: the codec's class and the format version the
 * state was written in. Restoring it yields a serializer that reads that version; compatibility
 * is "as is" for the same version and "after migration" for an older one.
 */
public final class VersionedStateSerializerSnapshot<T> implements TypeSerializerSnapshot<T> {

    private static final int SNAPSHOT_VERSION = 1;

    private StateCodec<T> codec;
    private int formatVersion;

    /** For Flink's reflective instantiation on restore. */
    public VersionedStateSerializerSnapshot() {}

    VersionedStateSerializerSnapshot(StateCodec<T> codec, int formatVersion) {
        this.codec = codec;
        this.formatVersion = formatVersion;
    }

    @Override
    public int getCurrentVersion() {
        return SNAPSHOT_VERSION;
    }

    @Override
    public void writeSnapshot(DataOutputView out) throws IOException {
        out.writeUTF(codec.getClass().getName());
        out.writeInt(formatVersion);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void readSnapshot(int readVersion, DataInputView in, ClassLoader userCodeClassLoader) throws IOException {
        if (readVersion != SNAPSHOT_VERSION) {
            throw new IOException("unknown snapshot version " + readVersion);
        }
        String codecClass = in.readUTF();
        formatVersion = in.readInt();
        try {
            codec = (StateCodec<T>) Class.forName(codecClass, true, userCodeClassLoader)
                    .getDeclaredConstructor()
                    .newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IOException("cannot instantiate state codec " + codecClass, e);
        }
    }

    @Override
    public TypeSerializer<T> restoreSerializer() {
        return new VersionedStateSerializer<>(codec, formatVersion);
    }

    @Override
    public TypeSerializerSchemaCompatibility<T> resolveSchemaCompatibility(TypeSerializerSnapshot<T> oldSnapshot) {
        if (!(oldSnapshot instanceof VersionedStateSerializerSnapshot)) {
            return TypeSerializerSchemaCompatibility.incompatible();
        }
        VersionedStateSerializerSnapshot<T> old = (VersionedStateSerializerSnapshot<T>) oldSnapshot;
        if (old.codec.getClass() != codec.getClass() || old.formatVersion > codec.currentVersion()) {
            return TypeSerializerSchemaCompatibility.incompatible();
        }
        return old.formatVersion == codec.currentVersion()
                ? TypeSerializerSchemaCompatibility.compatibleAsIs()
                : TypeSerializerSchemaCompatibility.compatibleAfterMigration();
    }

    int formatVersion() {
        return formatVersion;
    }
}
