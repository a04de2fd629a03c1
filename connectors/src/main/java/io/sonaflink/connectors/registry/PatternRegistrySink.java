package io.sonaflink.connectors.registry;

import io.sonaflink.operators.events.PatternSnapshot;

import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * Publishes each key's pattern banks into the adapter registry ({@link RegistryLayout#patternFile}),
 * exactly once with the job's checkpoints, as {@link AdapterRegistrySink} does adapters: written
 * under {@code .pending/}, given their immutable name when the checkpoint that covers them
 * completes (a name already taken keeps its first file), and the oldest beyond the configured
 * history deleted. The inference tier reads them from here ({@link RegistryServingStore}) instead
 * of holding every bank on every task.
 */
public final class PatternRegistrySink implements Sink<PatternSnapshot>, SupportsCommitter<PatternRegistrySink.Committable> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PatternRegistrySink.class);

    private final String root;
    private final int historySize;

    /** @param historySize banks per key kept (the newest) */
    public PatternRegistrySink(String root, int historySize) {
        if (historySize < 1) {
            throw new IllegalArgumentException("history size must be positive: " + historySize);
        }
        this.root = root;
        this.historySize = historySize;
    }

    @Override
    public SinkWriter<PatternSnapshot> createWriter(WriterInitContext context) throws IOException {
        RegistryLayout layout = new RegistryLayout(new Path(root));
        return new Writer(layout, layout.root().getFileSystem(),
                context.getTaskInfo().getIndexOfThisSubtask() + "-" + context.getTaskInfo().getAttemptNumber());
    }

    @Override
    public Committer<Committable> createCommitter(CommitterInitContext context) throws IOException {
        RegistryLayout layout = new RegistryLayout(new Path(root));
        return new BankCommitter(layout.root().getFileSystem(), historySize);
    }

    @Override
    public SimpleVersionedSerializer<Committable> getCommittableSerializer() {
        return new CommittableSerializer();
    }

    /** A written bank waiting for its checkpoint: where it is, and the name it gets. */
    public record Committable(String pendingFile, String file) {}

    static final class Writer extends StagingWriter<PatternSnapshot, Committable> {

        Writer(RegistryLayout layout, FileSystem fs, String attempt) {
            super(layout, fs, attempt);
        }

        @Override
        protected Committable stage(PatternSnapshot s) throws IOException {
            if (s.patterns().isEmpty()) {
                return null; // an empty bank is always served inline
            }
            Path file = layout.pendingPatternFile(s.key(), s.cycle(), attempt + "-" + UUID.randomUUID());
            RegistryFiles.create(fs, file, PatternFiles.write(s));
            return new Committable(file.toString(), layout.patternFile(s.key(), s.cycle()).toString());
        }
    }

    /** Idempotent: Flink commits a checkpoint's committables again after a failure. */
    static final class BankCommitter implements Committer<Committable> {
        private final FileSystem fs;
        private final int historySize;

        BankCommitter(FileSystem fs, int historySize) {
            this.fs = fs;
            this.historySize = historySize;
        }

        @Override
        public void commit(Collection<CommitRequest<Committable>> requests) {
            List<Path> touched = new ArrayList<>();
            for (CommitRequest<Committable> r : requests) {
                Path pending = new Path(r.getCommittable().pendingFile());
                Path target = new Path(r.getCommittable().file());
                try {
                    if (fs.exists(target)) {
                        fs.delete(pending, false);
                    } else if (!RegistryFiles.moveIntoPlace(fs, pending, target)) {
                        if (!superseded(target)) { // else committed before and pruned since: a replay
                            r.signalFailedWithKnownReason(new IOException("the pending pattern bank " + pending
                                    + " is gone"));
                        }
                        continue;
                    }
                    if (!touched.contains(target.getParent())) {
                        touched.add(target.getParent());
                    }
                } catch (IOException e) {
                    LOG.warn("Cannot commit the pattern bank {} yet; retrying", target, e);
                    r.retryLater();
                }
            }
            for (Path dir : touched) {
                prune(dir);
            }
        }

        /** Whether a bank of a later cycle than {@code bank}'s is committed. */
        private boolean superseded(Path bank) throws IOException {
            FileStatus[] files = fs.exists(bank.getParent()) ? fs.listStatus(bank.getParent()) : null;
            return files != null && Arrays.stream(files).map(f -> f.getPath().getName())
                    .anyMatch(name -> name.endsWith(".snapshot") && name.compareTo(bank.getName()) > 0);
        }

        /** Deletes all but the newest banks of a key (their names sort by cycle). */
        private void prune(Path dir) {
            try {
                FileStatus[] files = fs.listStatus(dir);
                if (files == null || files.length <= historySize) {
                    return;
                }
                List<Path> banks = new ArrayList<>(Arrays.stream(files).map(FileStatus::getPath)
                        .filter(p -> p.getName().endsWith(".snapshot")).toList());
                banks.sort(Comparator.comparing(Path::getName));
                for (Path old : banks.subList(0, Math.max(0, banks.size() - historySize))) {
                    fs.delete(old, false);
                }
            } catch (IOException e) {
                LOG.warn("Cannot delete old pattern banks in {}; they stay until the next commit", dir, e);
            }
        }

        @Override
        public void close() {}
    }

    static final class CommittableSerializer implements SimpleVersionedSerializer<Committable> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(Committable c) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeUTF(c.pendingFile());
                out.writeUTF(c.file());
            }
            return bytes.toByteArray();
        }

        @Override
        public Committable deserialize(int version, byte[] serialized) throws IOException {
            if (version != 1) {
                throw new IOException("unknown pattern bank committable version " + version);
            }
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized));
            return new Committable(in.readUTF(), in.readUTF());
        }
    }
}
