package io.sonaflink.connectors.registry;

import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.PatternSnapshot;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * One pattern bank as a file of the registry: the magic {@code SONAPATS}, the snapshot format's
 * version, then the snapshot in that format ({@link EventCodecs.PatternSnapshotCodec}).
 */
public final class PatternFiles {

    static final byte[] MAGIC = {'S', 'O', 'N', 'A', 'P', 'A', 'T', 'S'};
    private static final EventCodecs.PatternSnapshotCodec CODEC = new EventCodecs.PatternSnapshotCodec();

    private PatternFiles() {}

    public static byte[] write(PatternSnapshot snapshot) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeInt(CODEC.currentVersion());
            CODEC.write(snapshot, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static PatternSnapshot read(byte[] file) throws IOException {
        if (file.length < MAGIC.length + 4 || !Arrays.equals(file, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new IOException("not a pattern bank file (no SONAPATS header)");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(file, MAGIC.length, file.length));
        return CODEC.read(in, in.readInt());
    }
}
