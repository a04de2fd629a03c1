package io.sonaflink.connectors.files;

import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.RawRecord;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.SimpleStreamFormat;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads a JSON-lines file as raw records, one per line, as the Kafka sources deliver them: the
 * line's bytes undecoded (so invalid UTF-8 reaches the parser and becomes a dead letter with its
 * bytes, as over Kafka), the file name as source and the line number (from 1) as offset. Empty
 * lines are records too (the parser dead-letters them). A line is read into memory up to {@code
 * maxLineBytes} (the payload limit plus one, so that the parser sees it is too long); the rest of
 * it is skipped, so any file streams in bounded heap. {@code \r\n} line ends are accepted; a last
 * line without a line end is a record, and an empty file has none. A file is one split, read in
 * order, so a key's records keep their file order.
 */
public final class RawLineFormat extends SimpleStreamFormat<RawRecord> {

    private static final long serialVersionUID = 1L;

    private final String source;
    private final int maxLineBytes;

    /** @param source what the records name as their source (the file's name) */
    public RawLineFormat(String source, int maxLineBytes) {
        if (maxLineBytes < 1) {
            throw new IllegalArgumentException("maxLineBytes must be positive: " + maxLineBytes);
        }
        this.source = source;
        this.maxLineBytes = maxLineBytes;
    }

    @Override
    public StreamFormat.Reader<RawRecord> createReader(Configuration config, FSDataInputStream stream) {
        return new LineReader(new BufferedInputStream(stream, 1 << 16), maxLineBytes, source);
    }

    @Override
    public TypeInformation<RawRecord> getProducedType() {
        return EventCodecs.RAW_RECORD;
    }

    static final class LineReader implements StreamFormat.Reader<RawRecord> {
        private final InputStream in;
        private final int maxLineBytes;
        private final String source;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private long number;
        private boolean ended;

        LineReader(InputStream in, int maxLineBytes, String source) {
            this.in = in;
            this.maxLineBytes = maxLineBytes;
            this.source = source;
        }

        @Override
        public RawRecord read() throws IOException {
            if (ended) {
                return null;
            }
            line.reset();
            boolean any = false;
            int b;
            while ((b = in.read()) != -1) {
                any = true;
                if (b == '\n') {
                    break;
                }
                if (line.size() < maxLineBytes) {
                    line.write(b);
                }
            }
            if (b == -1) {
                ended = true;
                if (!any) {
                    return null;
                }
            }
            byte[] bytes = line.toByteArray();
            if (bytes.length > 0 && bytes[bytes.length - 1] == '\r' && line.size() < maxLineBytes) {
                bytes = Arrays.copyOf(bytes, bytes.length - 1);
            }
            return new RawRecord(bytes, source, -1, ++number);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
