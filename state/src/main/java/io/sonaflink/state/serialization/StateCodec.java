package io.sonaflink.state.serialization;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.Serializable;

/**
 * The binary format of one state type, versioned. A release that changes a format bumps {@link
 * #currentVersion()} and keeps reading every older version in {@link #read}, so savepoints of
 * earlier releases restore into the current one (Flink migrates them through {@link
 * VersionedStateSerializer}).
 *
 * <p>Implementations need a public no-argument constructor: a restored snapshot names its codec
 * by class.
 */
public interface StateCodec<T> extends Serializable {

    /** Version written by {@link #write}. */
    int currentVersion();

    void write(T value, DataOutput out) throws IOException;

    /** Reads a value written in format {@code version} (any version up to the current one). */
    T read(DataInput in, int version) throws IOException;

    /** A deep copy that shares no mutable state with {@code value}. */
    T copy(T value);
}
