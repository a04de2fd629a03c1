package io.sonaflink.connectors.files;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.util.function.SerializableFunction;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Writes each element as one JSON line to {@code <dir>/<name>-<subtask>.jsonl}. For local runs and
 * backfills, where the output is read after the job ends; it is not transactional (Kafka sinks
 * provide exactly-once delivery to consumers).
 */
public final class JsonLinesSink<T> implements Sink<T> {

    private static final long serialVersionUID = 1L;

    private final String directory;
    private final String name;
    private final SerializableFunction<T, byte[]> toJson;

    public JsonLinesSink(Path directory, String name, SerializableFunction<T, byte[]> toJson) {
        this.directory = directory.toString();
        this.name = name;
        this.toJson = toJson;
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) throws IOException {
        Path dir = Paths.get(directory);
        Files.createDirectories(dir);
        Path file = dir.resolve(name + "-" + context.getTaskInfo().getIndexOfThisSubtask() + ".jsonl");
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(file));
        return new SinkWriter<>() {
            @Override
            public void write(T element, Context ctx) throws IOException {
                out.write(toJson.apply(element));
                out.write('\n');
            }

            @Override
            public void flush(boolean endOfInput) throws IOException {
                out.flush();
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        };
    }
}
