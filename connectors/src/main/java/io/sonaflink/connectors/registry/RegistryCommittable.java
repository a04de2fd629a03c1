package io.sonaflink.connectors.registry;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;

import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * One adapter version written by a registry writer and waiting for its checkpoint: the pending
 * file, and the manifest entry it becomes once committed.
 *
 * @param pendingFile where the writer put the weights (a path string on the registry's file system)
 * @param entry the manifest entry, with the committed file's name
 */
record RegistryCommittable(AdapterKey key, AdapterKind kind, String pendingFile, AdapterManifest.Version entry) {

    /** Versioned binary form, stored in checkpoints until the commit succeeds. */
    static final class Serializer implements SimpleVersionedSerializer<RegistryCommittable> {
        private static final int VERSION = 1;

        @Override
        public int getVersion() {
            return VERSION;
        }

        @Override
        public byte[] serialize(RegistryCommittable c) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeUTF(c.key().tenant());
            out.writeUTF(c.key().persona());
            out.writeUTF(c.key().domain());
            out.writeUTF(c.kind().name());
            out.writeUTF(c.pendingFile());
            AdapterManifest.Version v = c.entry();
            out.writeLong(v.version());
            out.writeLong(v.parentVersion());
            out.writeUTF(v.file());
            out.writeUTF(v.sha256());
            out.writeLong(v.bytes());
            out.writeInt(v.rank());
            out.writeFloat(v.alpha());
            out.writeInt(v.layers());
            out.writeInt(v.dim());
            out.writeLong(v.createdAt());
            out.writeLong(v.rolledBackTo() == null ? -1 : v.rolledBackTo());
            out.writeLong(v.servedWithBase() == null ? -1 : v.servedWithBase());
            out.writeInt(v.metrics().size());
            for (Map.Entry<String, Double> m : v.metrics().entrySet()) {
                out.writeUTF(m.getKey());
                out.writeDouble(m.getValue());
            }
            out.flush();
            return bytes.toByteArray();
        }

        @Override
        public RegistryCommittable deserialize(int version, byte[] serialized) throws IOException {
            if (version != VERSION) {
                throw new IOException("unknown registry committable version " + version);
            }
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized));
            AdapterKey key = new AdapterKey(in.readUTF(), in.readUTF(), in.readUTF());
            AdapterKind kind = AdapterKind.valueOf(in.readUTF());
            String pending = in.readUTF();
            long v = in.readLong();
            long parent = in.readLong();
            String file = in.readUTF();
            String sha = in.readUTF();
            long size = in.readLong();
            int rank = in.readInt();
            float alpha = in.readFloat();
            int layers = in.readInt();
            int dim = in.readInt();
            long createdAt = in.readLong();
            long rolledBackTo = in.readLong();
            long servedWithBase = in.readLong();
            int metricCount = in.readInt();
            Map<String, Double> metrics = new TreeMap<>();
            for (int i = 0; i < metricCount; i++) {
                metrics.put(in.readUTF(), in.readDouble());
            }
            return new RegistryCommittable(key, kind, pending, new AdapterManifest.Version(v, parent, file, sha, size,
                    rank, alpha, layers, dim, createdAt, rolledBackTo < 0 ? null : rolledBackTo,
                    servedWithBase < 0 ? null : servedWithBase, metrics));
        }
    }
}
