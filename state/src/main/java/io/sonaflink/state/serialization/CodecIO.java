package io.sonaflink.state.serialization;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Field encodings shared by the codecs: length-prefixed arrays, nullable arrays, sorted maps, and
 * values of other codecs nested in a format.
 *
 * <p>A nested value is written with its own codec's version in front of it, so a nested codec can
 * move to a new format without the enclosing codec changing its version: the enclosing format
 * reads whichever nested version a savepoint holds.
 */
public final class CodecIO {

    /** Guards against reading garbage as a huge allocation. */
    static final int MAX_LENGTH = 1 << 28;

    private CodecIO() {}

    /**
     * Length, then the values as big-endian IEEE 754 bits (what {@link DataOutput#writeFloat} would
     * write), encoded in bulk: per-value calls dominated the cost of state access on RocksDB.
     */
    public static void writeFloats(float[] values, DataOutput out) throws IOException {
        out.writeInt(values.length);
        writeFloatBody(values, out);
    }

    public static float[] readFloats(DataInput in) throws IOException {
        return readFloatBody(readLength(in), in);
    }

    // Plain shifts rather than a byte-array view VarHandle: deep in a task's call chain the JIT
    // left the VarHandle's method-handle chain uninlined, which made this loop a fifth of the
    // feedback join's time; shifts compile the same everywhere.
    private static void writeFloatBody(float[] values, DataOutput out) throws IOException {
        byte[] bytes = scratch(values.length * Float.BYTES);
        for (int i = 0, p = 0; i < values.length; i++, p += Float.BYTES) {
            int bits = Float.floatToRawIntBits(values[i]);
            bytes[p] = (byte) (bits >>> 24);
            bytes[p + 1] = (byte) (bits >>> 16);
            bytes[p + 2] = (byte) (bits >>> 8);
            bytes[p + 3] = (byte) bits;
        }
        out.write(bytes, 0, values.length * Float.BYTES);
    }

    private static float[] readFloatBody(int length, DataInput in) throws IOException {
        byte[] bytes = scratch(length * Float.BYTES);
        in.readFully(bytes, 0, length * Float.BYTES);
        float[] values = new float[length];
        for (int i = 0, p = 0; i < length; i++, p += Float.BYTES) {
            values[i] = Float.intBitsToFloat((bytes[p] & 0xff) << 24 | (bytes[p + 1] & 0xff) << 16
                    | (bytes[p + 2] & 0xff) << 8 | (bytes[p + 3] & 0xff));
        }
        return values;
    }

    /** A per-thread buffer for one value's bytes, grown as needed (state codecs run on task threads). */
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[4096]);

    private static byte[] scratch(int bytes) {
        byte[] b = SCRATCH.get();
        if (b.length < bytes) {
            b = new byte[Math.max(bytes, 2 * b.length)];
            SCRATCH.set(b);
        }
        return b;
    }

    /** Writes a length of -1 for null. */
    public static void writeNullableFloats(float[] values, DataOutput out) throws IOException {
        if (values == null) {
            out.writeInt(-1);
        } else {
            writeFloats(values, out);
        }
    }

    public static float[] readNullableFloats(DataInput in) throws IOException {
        int length = in.readInt();
        if (length == -1) {
            return null;
        }
        checkLength(length);
        return readFloatBody(length, in);
    }

    /** Parameter blocks: row count, then each row length-prefixed. */
    public static void writeBlocks(float[][] blocks, DataOutput out) throws IOException {
        out.writeInt(blocks.length);
        for (float[] row : blocks) {
            writeFloats(row, out);
        }
    }

    public static float[][] readBlocks(DataInput in) throws IOException {
        float[][] blocks = new float[readLength(in)][];
        for (int r = 0; r < blocks.length; r++) {
            blocks[r] = readFloats(in);
        }
        return blocks;
    }

    /** Writes a presence flag, then the string. */
    public static void writeNullableString(String value, DataOutput out) throws IOException {
        out.writeBoolean(value != null);
        if (value != null) {
            out.writeUTF(value);
        }
    }

    public static String readNullableString(DataInput in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }

    public static void writeBytes(byte[] bytes, DataOutput out) throws IOException {
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    public static byte[] readBytes(DataInput in) throws IOException {
        byte[] bytes = new byte[readLength(in)];
        in.readFully(bytes);
        return bytes;
    }

    public static void writeLongs(long[] values, DataOutput out) throws IOException {
        out.writeInt(values.length);
        for (long v : values) {
            out.writeLong(v);
        }
    }

    public static long[] readLongs(DataInput in) throws IOException {
        long[] values = new long[readLength(in)];
        for (int i = 0; i < values.length; i++) {
            values[i] = in.readLong();
        }
        return values;
    }

    public static void writeDoubles(double[] values, DataOutput out) throws IOException {
        out.writeInt(values.length);
        for (double v : values) {
            out.writeDouble(v);
        }
    }

    public static double[] readDoubles(DataInput in) throws IOException {
        double[] values = new double[readLength(in)];
        for (int i = 0; i < values.length; i++) {
            values[i] = in.readDouble();
        }
        return values;
    }

    public static void writeStringMap(Map<String, String> map, DataOutput out) throws IOException {
        out.writeInt(map.size());
        for (Map.Entry<String, String> e : new TreeMap<>(map).entrySet()) {
            out.writeUTF(e.getKey());
            out.writeUTF(e.getValue());
        }
    }

    public static Map<String, String> readStringMap(DataInput in) throws IOException {
        int size = readLength(in);
        Map<String, String> map = new TreeMap<>();
        for (int i = 0; i < size; i++) {
            map.put(in.readUTF(), in.readUTF());
        }
        return map;
    }

    public static void writeDoubleMap(Map<String, Double> map, DataOutput out) throws IOException {
        out.writeInt(map.size());
        for (Map.Entry<String, Double> e : new TreeMap<>(map).entrySet()) {
            out.writeUTF(e.getKey());
            out.writeDouble(e.getValue());
        }
    }

    public static Map<String, Double> readDoubleMap(DataInput in) throws IOException {
        int size = readLength(in);
        Map<String, Double> map = new TreeMap<>();
        for (int i = 0; i < size; i++) {
            map.put(in.readUTF(), in.readDouble());
        }
        return map;
    }

    /** Writes {@code value} as its codec's version followed by that version's format. */
    public static <T> void writeNested(StateCodec<T> codec, T value, DataOutput out) throws IOException {
        out.writeInt(codec.currentVersion());
        codec.write(value, out);
    }

    /** Reads a value written by {@link #writeNested}. */
    public static <T> T readNested(StateCodec<T> codec, DataInput in) throws IOException {
        int version = in.readInt();
        checkVersion(version, codec.currentVersion(), codec.getClass());
        return codec.read(in, version);
    }

    /** Writes a list as its codec's version, the size, then each element in that version's format. */
    public static <T> void writeNestedList(StateCodec<T> codec, List<T> values, DataOutput out) throws IOException {
        out.writeInt(codec.currentVersion());
        out.writeInt(values.size());
        for (T value : values) {
            codec.write(value, out);
        }
    }

    /** Reads a list written by {@link #writeNestedList}. */
    public static <T> List<T> readNestedList(StateCodec<T> codec, DataInput in) throws IOException {
        int version = in.readInt();
        checkVersion(version, codec.currentVersion(), codec.getClass());
        int size = readLength(in);
        List<T> values = new ArrayList<>(Math.min(size, 1024));
        for (int i = 0; i < size; i++) {
            values.add(codec.read(in, version));
        }
        return values;
    }

    /** Deep copies of each element, by {@link StateCodec#copy}. */
    public static <T> List<T> copyList(StateCodec<T> codec, List<T> values) {
        List<T> copies = new ArrayList<>(values.size());
        for (T value : values) {
            copies.add(codec.copy(value));
        }
        return copies;
    }

    /** Reads a non-negative collection length and rejects corrupt values. */
    public static int readLength(DataInput in) throws IOException {
        int length = in.readInt();
        checkLength(length);
        return length;
    }

    /** Fails on a format version this codec does not know. */
    public static void checkVersion(int version, int current, Class<?> codec) throws IOException {
        if (version < 1 || version > current) {
            throw new IOException(codec.getSimpleName() + " cannot read format version " + version);
        }
    }

    private static void checkLength(int length) throws IOException {
        if (length < 0 || length > MAX_LENGTH) {
            throw new IOException("corrupt state: length " + length);
        }
    }
}
