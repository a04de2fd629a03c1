package io.sonaflink.connectors.registry;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.inference.ServingStore;

import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.util.Optional;

/**
 * The inference tier's reads from the adapter registry: a committed adapter version through its
 * key's manifest (which names its file and checksum; a rollback's is its target's file), and a
 * committed pattern bank by its cycle. What is not committed yet reads as absent.
 */
public final class RegistryServingStore implements ServingStore {

    private static final long serialVersionUID = 1L;

    private final String root;
    private transient RegistryLayout layout;
    private transient FileSystem fs;

    public RegistryServingStore(String root) {
        this.root = root;
    }

    @Override
    public AdapterUpdate adapter(AdapterKey key, AdapterKind kind, long version) throws IOException {
        open();
        byte[] json = RegistryFiles.readIfExists(fs, layout.manifest(key));
        if (json == null) {
            return null;
        }
        Optional<AdapterManifest.Version> v = AdapterManifest.fromJson(json).lineage(kind).find(version);
        if (v.isEmpty()) {
            return null;
        }
        byte[] bytes = RegistryFiles.readIfExists(fs, new Path(layout.keyDirectory(key), v.get().file()));
        if (bytes == null) {
            return null;
        }
        if (!RegistryLayout.sha256(bytes).equals(v.get().sha256())) {
            throw new IOException(v.get().file() + " of " + key + " does not match the checksum its manifest lists");
        }
        return AdapterFiles.read(bytes);
    }

    @Override
    public PatternSnapshot patterns(AdapterKey key, long cycle) throws IOException {
        open();
        byte[] bytes = RegistryFiles.readIfExists(fs, layout.patternFile(key, cycle));
        return bytes == null ? null : PatternFiles.read(bytes);
    }

    @Override
    public String description() {
        return "the adapter registry " + root;
    }

    private void open() throws IOException {
        if (fs == null) {
            layout = new RegistryLayout(new Path(root));
            fs = layout.root().getFileSystem();
        }
    }
}
