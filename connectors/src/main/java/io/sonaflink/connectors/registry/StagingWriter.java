package io.sonaflink.connectors.registry;

import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.core.fs.FileSystem;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A registry writer: each element is written to a pending file as it arrives ({@link #stage}),
 * and what was staged is handed to the committer at the next checkpoint.
 */
abstract class StagingWriter<IN, C> implements CommittingSinkWriter<IN, C> {

    protected final RegistryLayout layout;
    protected final FileSystem fs;
    /** Makes this writer's pending file names unique: subtask and attempt. */
    protected final String attempt;
    private final List<C> staged = new ArrayList<>();

    StagingWriter(RegistryLayout layout, FileSystem fs, String attempt) {
        this.layout = layout;
        this.fs = fs;
        this.attempt = attempt;
    }

    /** Writes {@code element}'s pending file; its committable, or null when there is nothing to publish. */
    protected abstract C stage(IN element) throws IOException;

    @Override
    public final void write(IN element, Context context) throws IOException {
        C c = stage(element);
        if (c != null) {
            staged.add(c);
        }
    }

    @Override
    public Collection<C> prepareCommit() {
        List<C> ready = List.copyOf(staged);
        staged.clear();
        return ready;
    }

    @Override
    public void flush(boolean endOfInput) {}

    @Override
    public void close() {}
}
