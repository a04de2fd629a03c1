package io.sonaflink.state.serialization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sonaflink.state.lora.BaseLora;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.List;

/** Schema evolution through {@link VersionedStateSerializerSnapshot}. */
class VersionedStateSerializerSnapshotTest {

    /** A value whose format gained a field in version 2. */
    public record Reading(String name, long count, double score) {}

    /**
     * Version 2 writes name, count (long), score; version 1 was name, count (int), with no score,
     * which reads as a score of 0.
     */
    public static class ReadingCodec implements StateCodec<Reading> {

        private static final long serialVersionUID = 1L;

        public ReadingCodec() {}

        @Override
        public int currentVersion() {
            return 2;
        }

        @Override
        public void write(Reading value, DataOutput out) throws IOException {
            out.writeUTF(value.name());
            out.writeLong(value.count());
            out.writeDouble(value.score());
        }

        @Override
        public Reading read(DataInput in, int version) throws IOException {
            CodecIO.checkVersion(version, currentVersion(), getClass());
            String name = in.readUTF();
            if (version == 1) {
                return new Reading(name, in.readInt(), 0.0);
            }
            return new Reading(name, in.readLong(), in.readDouble());
        }

        @Override
        public Reading copy(Reading value) {
            return value;
        }
    }

    /** Same format, but a different codec class. */
    public static final class OtherReadingCodec extends ReadingCodec {
        private static final long serialVersionUID = 1L;
    }

    private static final ClassLoader CLASS_LOADER = VersionedStateSerializerSnapshotTest.class.getClassLoader();

    @Test
    void sameCodecAndVersionIsCompatibleAsIs() throws IOException {
        List<VersionedStateSerializer<?>> all = List.of(
                StateSerializers.loraAdapter(), StateSerializers.microLora(), StateSerializers.adam(),
                StateSerializers.ewc(), StateSerializers.baseLora(), StateSerializers.pattern(),
                StateSerializers.reasoningBank(), StateSerializers.bandit(), StateSerializers.trajectorySample(),
                StateSerializers.trajectoryReservoir());
        for (VersionedStateSerializer<?> serializer : all) {
            assertThat(compatibilityWithItself(serializer).isCompatibleAsIs()).as(serializer.toString()).isTrue();
        }
        VersionedStateSerializer<Reading> reading = new VersionedStateSerializer<>(new ReadingCodec());
        assertThat(compatibilityWithItself(reading).isCompatibleAsIs()).isTrue();
    }

    @Test
    void olderFormatVersionIsCompatibleAfterMigration() throws IOException {
        VersionedStateSerializer<Reading> current = new VersionedStateSerializer<>(new ReadingCodec());
        VersionedStateSerializer<Reading> previousRelease = new VersionedStateSerializer<>(new ReadingCodec(), 1);
        TypeSerializerSnapshot<Reading> oldSnapshot = writeAndRead(previousRelease.snapshotConfiguration());

        assertThat(current.snapshotConfiguration().resolveSchemaCompatibility(oldSnapshot).isCompatibleAfterMigration())
                .isTrue();

        // Flink migrates by reading with the restored serializer and writing with the current one.
        TypeSerializer<Reading> restored = oldSnapshot.restoreSerializer();
        assertThat(restored).isEqualTo(previousRelease).isNotEqualTo(current);
        DataOutputSerializer v1 = new DataOutputSerializer(32);
        v1.writeUTF("requests");
        v1.writeInt(42);
        Reading migrated = restored.deserialize(new DataInputDeserializer(v1.getCopyOfBuffer()));
        assertThat(migrated).isEqualTo(new Reading("requests", 42L, 0.0));

        DataOutputSerializer v2 = new DataOutputSerializer(32);
        current.serialize(new Reading("requests", 42L, 0.75), v2);
        DataInputDeserializer written = new DataInputDeserializer(v2.getCopyOfBuffer());
        assertThat(written.readUTF()).isEqualTo("requests");
        assertThat(written.readLong()).isEqualTo(42L);
        assertThat(written.readDouble()).isEqualTo(0.75);
        assertThat(written.available()).isZero();
        assertThat(current.deserialize(new DataInputDeserializer(v2.getCopyOfBuffer())))
                .isEqualTo(new Reading("requests", 42L, 0.75));
    }

    @Test
    void differentCodecClassIsIncompatible() throws IOException {
        VersionedStateSerializer<Reading> current = new VersionedStateSerializer<>(new ReadingCodec());
        VersionedStateSerializer<Reading> other = new VersionedStateSerializer<>(new OtherReadingCodec());

        assertThat(compatibility(current, other).isIncompatible()).isTrue();
        assertThat(compatibility(other, current).isIncompatible()).isTrue();
    }

    @Test
    void newerFormatVersionIsIncompatible() throws IOException {
        VersionedStateSerializer<Reading> current = new VersionedStateSerializer<>(new ReadingCodec());
        TypeSerializerSnapshot<Reading> fromNewerRelease =
                writeAndRead(new VersionedStateSerializerSnapshot<>(new ReadingCodec(), 3));

        assertThat(current.snapshotConfiguration().resolveSchemaCompatibility(fromNewerRelease).isIncompatible())
                .isTrue();
        assertThatThrownBy(fromNewerRelease::restoreSerializer)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot read format version 3");
    }

    @Test
    void versionedSnapshotRoundTripRestoresAWorkingSerializer() throws IOException {
        VersionedStateSerializer<BaseLora> serializer = StateSerializers.baseLora();
        BaseLora state = StateFixtures.baseLoraWithConsolidatedTask();
        DataOutputSerializer data = new DataOutputSerializer(4096);
        serializer.serialize(state, data);

        DataOutputSerializer snapshotBytes = new DataOutputSerializer(256);
        TypeSerializerSnapshot.writeVersionedSnapshot(snapshotBytes, serializer.snapshotConfiguration());
        TypeSerializerSnapshot<BaseLora> restoredSnapshot = TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(snapshotBytes.getCopyOfBuffer()), CLASS_LOADER);

        assertThat(restoredSnapshot).isInstanceOf(VersionedStateSerializerSnapshot.class);
        assertThat(((VersionedStateSerializerSnapshot<BaseLora>) restoredSnapshot).formatVersion())
                .isEqualTo(BaseLoraCodec.VERSION);
        assertThat(serializer.snapshotConfiguration().resolveSchemaCompatibility(restoredSnapshot).isCompatibleAsIs())
                .isTrue();
        TypeSerializer<BaseLora> restored = restoredSnapshot.restoreSerializer();
        assertThat(restored).isEqualTo(serializer);
        assertThat(restored.deserialize(new DataInputDeserializer(data.getCopyOfBuffer()))).isEqualTo(state);
    }

    @Test
    void codecsRejectUnknownFormatVersions() {
        List<StateCodec<?>> codecs = List.of(
                new LoraAdapterCodec(), new MicroLoraCodec(), new AdamOptimizerCodec(), new EwcPlusPlusCodec(),
                new BaseLoraCodec(), new PatternCodec(), new ReasoningBankCodec(), new UcbBanditCodec(),
                new TrajectorySampleCodec(), new TrajectoryReservoirCodec());
        for (StateCodec<?> codec : codecs) {
            for (int version : new int[] {0, codec.currentVersion() + 1}) {
                assertThatThrownBy(() -> codec.read(new DataInputDeserializer(new byte[64]), version))
                        .as(codec.getClass().getSimpleName() + " v" + version)
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining("cannot read format version " + version);
            }
        }
    }

    /** A nested value carries its own codec's version, which is checked when read. */
    @Test
    void nestedValueOfAnUnknownVersionIsRejected() throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(1024);
        StateSerializers.microLora().serialize(StateFixtures.observedMicroLora(2, 4, 6), out);
        byte[] bytes = out.getCopyOfBuffer();
        bytes[3] = (byte) (LoraAdapterCodec.VERSION + 1); // the nested adapter's version, first in the format

        assertThatThrownBy(() -> StateSerializers.microLora().deserialize(new DataInputDeserializer(bytes)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("LoraAdapterCodec cannot read format version 2");
    }

    private static <T> TypeSerializerSchemaCompatibility<T> compatibilityWithItself(TypeSerializer<T> serializer)
            throws IOException {
        return compatibility(serializer, serializer);
    }

    private static <T> TypeSerializerSchemaCompatibility<T> compatibility(
            TypeSerializer<T> current, TypeSerializer<T> previous) throws IOException {
        return current.snapshotConfiguration().resolveSchemaCompatibility(
                writeAndRead(previous.snapshotConfiguration()));
    }

    /** The snapshot as a restore sees it: written into a checkpoint and read back by class name. */
    private static <T> TypeSerializerSnapshot<T> writeAndRead(TypeSerializerSnapshot<T> snapshot) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(256);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, snapshot);
        return TypeSerializerSnapshot.readVersionedSnapshot(new DataInputDeserializer(out.getCopyOfBuffer()), CLASS_LOADER);
    }
}
