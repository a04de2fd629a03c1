package io.sonaflink.connectors.registry;

import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Reads a registry from outside the job: every key's manifest, for tools, checks and reports. */
public final class AdapterRegistryReader {

    private AdapterRegistryReader() {}

    /** Every manifest under {@code root} (empty if the registry does not exist yet). */
    public static List<AdapterManifest> manifests(String root) throws IOException {
        Path rootPath = new Path(root);
        FileSystem fs = rootPath.getFileSystem();
        List<AdapterManifest> manifests = new ArrayList<>();
        if (!fs.exists(rootPath)) {
            return manifests;
        }
        for (Path tenant : children(fs, rootPath)) {
            for (Path persona : children(fs, tenant)) {
                for (Path domain : children(fs, persona)) {
                    byte[] json = RegistryFiles.readIfExists(fs, new Path(domain, RegistryLayout.MANIFEST));
                    if (json != null) {
                        manifests.add(AdapterManifest.fromJson(json));
                    }
                }
            }
        }
        return manifests;
    }

    private static List<Path> children(FileSystem fs, Path dir) throws IOException {
        List<Path> dirs = new ArrayList<>();
        FileStatus[] statuses = fs.listStatus(dir);
        for (FileStatus s : statuses == null ? new FileStatus[0] : statuses) {
            if (s.isDir() && !s.getPath().getName().startsWith(".")) {
                dirs.add(s.getPath());
            }
        }
        return dirs;
    }
}
