package io.sonaflink.connectors.registry;

import io.sonaflink.connectors.vllm.VllmPusher;
import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;

import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Makes the versions of a completed checkpoint visible, key by key: each pending file is renamed to
 * its immutable name, then the key's manifest is replaced once with all of them, then the served
 * stack's PEFT export is written if the stack changed, and pushed to vLLM when configured (off the
 * committer's thread). Every step is idempotent, because Flink
 * commits a checkpoint's committables again after a failure: a version the manifest already lists
 * is left as it is, and a file already at its name is never overwritten (the first committed bytes
 * stay, so one version never has two different files).
 */
final class AdapterRegistryCommitter implements Committer<RegistryCommittable> {

    private static final Logger LOG = LoggerFactory.getLogger(AdapterRegistryCommitter.class);

    private final RegistryLayout layout;
    private final FileSystem fs;
    private final int historySize;
    private final PeftExport peft;
    private final VllmPusher vllm;

    /** @param vllm where committed exports are pushed, or null */
    AdapterRegistryCommitter(RegistryLayout layout, FileSystem fs, int historySize, PeftExport peft, VllmPusher vllm) {
        this.layout = layout;
        this.fs = fs;
        this.historySize = historySize;
        this.peft = peft;
        this.vllm = vllm;
    }

    @Override
    public void commit(Collection<CommitRequest<RegistryCommittable>> requests) {
        Map<AdapterKey, List<CommitRequest<RegistryCommittable>>> byKey = new LinkedHashMap<>();
        for (CommitRequest<RegistryCommittable> r : requests) {
            byKey.computeIfAbsent(r.getCommittable().key(), k -> new ArrayList<>()).add(r);
        }
        for (Map.Entry<AdapterKey, List<CommitRequest<RegistryCommittable>>> e : byKey.entrySet()) {
            List<CommitRequest<RegistryCommittable>> forKey = e.getValue();
            forKey.sort(Comparator.comparingLong(r -> r.getCommittable().entry().version()));
            try {
                commitKey(e.getKey(), forKey);
            } catch (IOException failure) {
                LOG.warn("Cannot commit {} adapter versions of {} to the registry yet; retrying", forKey.size(),
                        e.getKey(), failure);
                forKey.forEach(CommitRequest::retryLater);
            }
        }
    }

    private void commitKey(AdapterKey key, List<CommitRequest<RegistryCommittable>> requests) throws IOException {
        Path manifestPath = layout.manifest(key);
        byte[] json = RegistryFiles.readIfExists(fs, manifestPath);
        AdapterManifest before = json == null ? AdapterManifest.empty(key) : AdapterManifest.fromJson(json);
        AdapterManifest manifest = before;
        for (CommitRequest<RegistryCommittable> request : requests) {
            RegistryCommittable c = request.getCommittable();
            Optional<AdapterManifest.Version> committed = manifest.lineage(c.kind()).find(c.entry().version());
            if (committed.isPresent()) {
                deleteIfExists(new Path(c.pendingFile()));
                continue;
            }
            AdapterManifest.Version entry = commitFile(key, c, manifest);
            if (entry == null) {
                request.signalFailedWithKnownReason(new IOException("the pending file " + c.pendingFile()
                        + " of " + key + " " + c.kind() + " v" + c.entry().version() + " is gone"));
                continue;
            }
            manifest = manifest.with(c.kind(), entry, historySize);
        }
        if (manifest.served() != null && manifest.served().peft() == null && peft != null) {
            manifest = export(key, manifest);
        }
        if (!manifest.equals(before)) {
            RegistryFiles.replace(fs, manifestPath, manifest.toJson());
            String peftDir = manifest.served() == null ? null : manifest.served().peft();
            boolean newExport = peftDir != null && (before.served() == null || !peftDir.equals(before.served().peft()));
            if (vllm != null && newExport) {
                vllm.served(key.asString(), RegistryLayout.relativeKeyPath(key) + "/" + peftDir); // async
            }
        }
    }

    /** Puts one version's weights at their name; returns its manifest entry, or null if they are lost. */
    private AdapterManifest.Version commitFile(AdapterKey key, RegistryCommittable c, AdapterManifest manifest)
            throws IOException {
        AdapterManifest.Version entry = c.entry();
        Path pending = new Path(c.pendingFile());
        if (entry.rolledBackTo() != null) {
            Optional<AdapterManifest.Version> target = manifest.lineage(c.kind()).find(entry.rolledBackTo());
            if (target.isPresent()) { // move the pointer: the target's file serves again
                deleteIfExists(pending);
                AdapterManifest.Version t = target.get();
                return new AdapterManifest.Version(entry.version(), entry.parentVersion(), t.file(), t.sha256(),
                        t.bytes(), entry.rank(), entry.alpha(), entry.layers(), entry.dim(), entry.createdAt(),
                        entry.rolledBackTo(), entry.servedWithBase(), entry.metrics());
            }
        }
        Path target = new Path(layout.keyDirectory(key), entry.file());
        byte[] existing = RegistryFiles.readIfExists(fs, target);
        if (existing != null) { // renamed by an earlier attempt of this commit
            deleteIfExists(pending);
            String sha = RegistryLayout.sha256(existing);
            if (!sha.equals(entry.sha256())) {
                LOG.warn("{} already holds other weights for {} {} v{}; the registry keeps the committed file",
                        target, key, c.kind(), entry.version());
            }
            return new AdapterManifest.Version(entry.version(), entry.parentVersion(), entry.file(), sha,
                    existing.length, entry.rank(), entry.alpha(), entry.layers(), entry.dim(), entry.createdAt(),
                    entry.rolledBackTo(), entry.servedWithBase(), entry.metrics());
        }
        return RegistryFiles.moveIntoPlace(fs, pending, target) ? entry : null;
    }

    /** Writes the served stack's PEFT files (the config last: a loader that finds it finds the weights). */
    private AdapterManifest export(AdapterKey key, AdapterManifest manifest) throws IOException {
        AdapterManifest.Served served = manifest.served();
        Map<String, byte[]> files = peft.files(load(key, manifest, AdapterKind.BASE, served.base()),
                load(key, manifest, AdapterKind.MICRO, served.micro()));
        if (files.isEmpty()) {
            return manifest;
        }
        Path dir = layout.servedDirectory(key, served.base(), served.micro());
        RegistryFiles.replace(fs, new Path(dir, PeftExport.WEIGHTS_FILE), files.get(PeftExport.WEIGHTS_FILE));
        RegistryFiles.replace(fs, new Path(dir, PeftExport.CONFIG_FILE), files.get(PeftExport.CONFIG_FILE));
        return manifest.withPeft(RegistryLayout.servedDirectoryName(served.base(), served.micro()));
    }

    /** A committed version's weights; null for version 0 (the identity). */
    private AdapterUpdate load(AdapterKey key, AdapterManifest manifest, AdapterKind kind, long version)
            throws IOException {
        if (version == 0) {
            return null;
        }
        AdapterManifest.Version v = manifest.lineage(kind).find(version)
                .orElseThrow(() -> new IOException(key + " " + kind + " v" + version + " is not in its manifest"));
        byte[] bytes = RegistryFiles.readIfExists(fs, new Path(layout.keyDirectory(key), v.file()));
        if (bytes == null || !RegistryLayout.sha256(bytes).equals(v.sha256())) {
            throw new IOException("the registry file " + v.file() + " of " + key + " does not match its manifest");
        }
        return AdapterFiles.read(bytes);
    }

    private void deleteIfExists(Path path) throws IOException {
        if (fs.exists(path)) {
            fs.delete(path, false);
        }
    }

    @Override
    public void close() {
        if (vllm != null) {
            vllm.close();
        }
    }
}
