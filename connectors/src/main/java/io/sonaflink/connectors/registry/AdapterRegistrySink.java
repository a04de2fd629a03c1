package io.sonaflink.connectors.registry;

import io.sonaflink.connectors.vllm.VllmConfig;
import io.sonaflink.connectors.vllm.VllmPusher;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.gate.AdapterGateFunction;

import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.io.IOException;
import java.util.Optional;
import java.util.UUID;

/**
 * Publishes adapter updates into the adapter registry ({@link RegistryLayout}), exactly once with
 * the job's checkpoints: the writer puts each version's safetensors file under {@code .pending/};
 * when the checkpoint that covers it completes, the {@link AdapterRegistryCommitter} moves it to its
 * immutable name and then updates the key's manifest. A reader never sees a half-written file, and
 * a version that a failure makes the job produce again (it was not checkpointed) is never visible
 * twice: only committed versions get a name.
 *
 * <p>Each key's updates must reach one writer (the sink runs at the gate's parallelism over a
 * forward edge, so a key's manifest has a single author).
 */
public final class AdapterRegistrySink implements Sink<AdapterUpdate>, SupportsCommitter<RegistryCommittable> {

    private static final long serialVersionUID = 1L;

    private final String root;
    private final int historySize;
    private final PeftExport peft;
    private final VllmConfig vllm;

    /**
     * @param root registry root URI ({@code file:///...}, {@code s3://...}, {@code hdfs://...})
     * @param historySize versions per kind a manifest lists
     * @param peft how the served stack is exported for serving stacks, or null for no export
     * @param vllm where each committed export is pushed, or null for nowhere (needs {@code peft})
     */
    public AdapterRegistrySink(String root, int historySize, PeftExport peft, VllmConfig vllm) {
        if (historySize < 1) {
            throw new IllegalArgumentException("history size must be positive: " + historySize);
        }
        if (vllm != null && peft == null) {
            throw new IllegalArgumentException("pushing to vLLM needs the PEFT export");
        }
        this.root = root;
        this.historySize = historySize;
        this.peft = peft;
        this.vllm = vllm;
    }

    @Override
    public SinkWriter<AdapterUpdate> createWriter(WriterInitContext context) throws IOException {
        RegistryLayout layout = new RegistryLayout(new Path(root));
        return new Writer(layout, layout.root().getFileSystem(), context.getTaskInfo().getIndexOfThisSubtask() + "-"
                + context.getTaskInfo().getAttemptNumber());
    }

    @Override
    public Committer<RegistryCommittable> createCommitter(CommitterInitContext context) throws IOException {
        RegistryLayout layout = new RegistryLayout(new Path(root));
        return new AdapterRegistryCommitter(layout, layout.root().getFileSystem(), historySize, peft,
                vllm == null ? null : new VllmPusher(vllm));
    }

    @Override
    public SimpleVersionedSerializer<RegistryCommittable> getCommittableSerializer() {
        return new RegistryCommittable.Serializer();
    }

    /** Writes pending files as updates arrive; hands them to the committer at each checkpoint. */
    static final class Writer extends StagingWriter<AdapterUpdate, RegistryCommittable> {

        Writer(RegistryLayout layout, FileSystem fs, String attempt) {
            super(layout, fs, attempt);
        }

        @Override
        protected RegistryCommittable stage(AdapterUpdate u) throws IOException {
            byte[] bytes = AdapterFiles.write(u);
            Path file = layout.pendingFile(u.key(), u.kind(), u.version(), attempt + "-" + UUID.randomUUID());
            RegistryFiles.create(fs, file, bytes);
            Double rolledBackTo = u.metrics().get(AdapterGateFunction.METRIC_ROLLED_BACK_TO);
            long servedWithBase = u.servedWithBase();
            return new RegistryCommittable(u.key(), u.kind(), file.toString(), new AdapterManifest.Version(
                    u.version(), u.parentVersion(), RegistryLayout.adapterFileName(u.kind(), u.version()),
                    RegistryLayout.sha256(bytes), bytes.length, u.rank(), u.alpha(), u.layers(), u.dim(),
                    u.createdAt(), Optional.ofNullable(rolledBackTo).map(Double::longValue).orElse(null),
                    servedWithBase < 0 ? null : servedWithBase, u.metrics()));
        }
    }
}
