package io.sonaflink.state.serialization;

import java.io.DataInput;
import java.io.IOException;

/**
 * Base of the state codecs: holds the current format version and rejects versions this code does
 * not know before a subclass reads a single field.
 */
public abstract class VersionedCodec<T> implements StateCodec<T> {

    private static final long serialVersionUID = 1L;

    private final int currentVersion;

    protected VersionedCodec(int currentVersion) {
        this.currentVersion = currentVersion;
    }

    @Override
    public final int currentVersion() {
        return currentVersion;
    }

    @Override
    public final T read(DataInput in, int version) throws IOException {
        CodecIO.checkVersion(version, currentVersion, getClass());
        return readVersion(in, version);
    }

    /** Reads a value in format {@code version}, already known to be supported. */
    protected abstract T readVersion(DataInput in, int version) throws IOException;
}
