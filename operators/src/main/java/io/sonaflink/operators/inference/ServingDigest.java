package io.sonaflink.operators.inference;

import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.serialization.PatternCodec;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The digest and size of what a query is served with, over the content alone (weights and their
 * shape; a bank's patterns), not over a file's bytes or the version: a rollback publishes an older
 * version's weights under a new version, and the registry then serves the older file for it.
 * The first 8 bytes of a SHA-256.
 */
public final class ServingDigest {

    private static final PatternCodec PATTERN = new PatternCodec();

    private ServingDigest() {}

    public static long of(AdapterUpdate u) {
        MessageDigest sha = sha256();
        ByteBuffer header = ByteBuffer.allocate(16).putInt(u.rank()).putInt(u.layers()).putInt(u.dim())
                .putFloat(u.alpha());
        sha.update(header.array());
        ByteBuffer row = ByteBuffer.allocate(4 * u.dim());
        for (float[] w : u.weights()) {
            row.clear();
            row.asFloatBuffer().put(w);
            sha.update(row.array());
        }
        return ByteBuffer.wrap(sha.digest()).getLong();
    }

    public static long of(PatternSnapshot s) {
        MessageDigest sha = sha256();
        try (DataOutputStream out = new DataOutputStream(new DigestStream(sha))) {
            out.writeInt(s.patterns().size());
            for (Pattern p : s.patterns()) {
                PATTERN.write(p, out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ByteBuffer.wrap(sha.digest()).getLong();
    }

    /** The weights' size in bytes (what the heap holds, about). */
    public static long bytes(AdapterUpdate u) {
        return 4L * u.weights().length * u.dim() + 16L * u.weights().length + 256;
    }

    /** The bank's size in bytes (centroids and per-pattern overhead, about). */
    public static long bytes(PatternSnapshot s) {
        long total = 256;
        for (Pattern p : s.patterns()) {
            total += 4L * p.centroid().length + 256;
        }
        return total;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static final class DigestStream extends OutputStream {
        private final MessageDigest sha;

        DigestStream(MessageDigest sha) {
            this.sha = sha;
        }

        @Override
        public void write(int b) {
            sha.update((byte) b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            sha.update(b, off, len);
        }
    }
}
