package io.sonaflink.connectors.registry;

import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.UUID;

/** Reads and writes whole files on a Flink {@link FileSystem} (local, S3, HDFS, ...). */
final class RegistryFiles {

    private RegistryFiles() {}

    /** Writes a new file; fails if {@code path} exists. */
    static void create(FileSystem fs, Path path, byte[] bytes) throws IOException {
        fs.mkdirs(path.getParent());
        try (FSDataOutputStream out = fs.create(path, FileSystem.WriteMode.NO_OVERWRITE)) {
            out.write(bytes);
            out.sync();
        }
    }

    /**
     * Replaces {@code path} with {@code bytes} so that a reader sees the old or the new file, never
     * part of one: written beside it, then renamed over it. Where a file system's rename does not
     * replace (some object stores), the old file is deleted first.
     */
    static void replace(FileSystem fs, Path path, byte[] bytes) throws IOException {
        Path temp = path.suffix("." + UUID.randomUUID() + ".tmp");
        create(fs, temp, bytes);
        if (!fs.rename(temp, path)) {
            fs.delete(path, false);
            if (!fs.rename(temp, path)) {
                fs.delete(temp, false);
                throw new IOException("cannot rename " + temp + " to " + path);
            }
        }
    }

    /**
     * Gives a pending file its committed name; false when it is gone. The caller has checked that
     * nothing is at {@code target} yet (a committed file is never replaced).
     */
    static boolean moveIntoPlace(FileSystem fs, Path pending, Path target) throws IOException {
        if (!fs.exists(pending)) {
            return false;
        }
        fs.mkdirs(target.getParent());
        if (!fs.rename(pending, target)) {
            throw new IOException("cannot rename " + pending + " to " + target);
        }
        return true;
    }

    /** The file's bytes, or null when it does not exist. */
    static byte[] readIfExists(FileSystem fs, Path path) throws IOException {
        try (FSDataInputStream in = fs.open(path)) {
            return in.readAllBytes();
        } catch (FileNotFoundException e) {
            return null;
        }
    }
}
