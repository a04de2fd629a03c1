package io.sonaflink.operators.events;

import io.sonaflink.state.serialization.CodecIO;
import io.sonaflink.state.serialization.CodecTypeInformation;
import io.sonaflink.state.serialization.PatternCodec;
import io.sonaflink.state.serialization.VersionedCodec;

import org.apache.flink.api.common.typeinfo.TypeInformation;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Map;

/**
 * Versioned binary formats of the stream records, and their Flink type information. Records are
 * both sent between operators and held in state (a trajectory waiting for its feedback), so they
 * evolve like state: a format change bumps the codec's version and keeps reading the old one.
 */
public final class EventCodecs {

    public static final TypeInformation<Trajectory> TRAJECTORY =
            new CodecTypeInformation<>(Trajectory.class, new TrajectoryCodec());
    public static final TypeInformation<TrainingSignal> TRAINING_SIGNAL =
            new CodecTypeInformation<>(TrainingSignal.class, new TrainingSignalCodec());
    public static final TypeInformation<DeadLetter> DEAD_LETTER =
            new CodecTypeInformation<>(DeadLetter.class, new DeadLetterCodec());
    public static final TypeInformation<RawRecord> RAW_RECORD =
            new CodecTypeInformation<>(RawRecord.class, new RawRecordCodec());
    public static final TypeInformation<PatternSnapshot> PATTERN_SNAPSHOT =
            new CodecTypeInformation<>(PatternSnapshot.class, new PatternSnapshotCodec());
    public static final TypeInformation<SkillMap> SKILL_MAP =
            new CodecTypeInformation<>(SkillMap.class, new SkillMapCodec());

    public static final TypeInformation<Query> QUERY = new CodecTypeInformation<>(Query.class, new QueryCodec());
    public static final TypeInformation<Response> RESPONSE =
            new CodecTypeInformation<>(Response.class, new ResponseCodec());

    private EventCodecs() {}

    public static void writeKey(AdapterKey key, DataOutput out) throws IOException {
        out.writeUTF(key.tenant());
        out.writeUTF(key.persona());
        out.writeUTF(key.domain());
    }

    public static AdapterKey readKey(DataInput in) throws IOException {
        return new AdapterKey(in.readUTF(), in.readUTF(), in.readUTF());
    }

    /**
     * v1: id, key, timestamp, embedding, route, discrete params, numeric params, metrics flag and
     * six fields, quality, nullable target, weight.
     */
    public static final class TrajectoryCodec extends VersionedCodec<Trajectory> {
        private static final long serialVersionUID = 1L;

        public TrajectoryCodec() {
            super(1);
        }

        @Override
        public void write(Trajectory t, DataOutput out) throws IOException {
            out.writeUTF(t.id());
            writeKey(t.key(), out);
            out.writeLong(t.timestamp());
            CodecIO.writeFloats(t.embedding(), out);
            out.writeUTF(t.route());
            CodecIO.writeStringMap(t.discreteParams(), out);
            CodecIO.writeDoubleMap(t.numericParams(), out);
            ExecutionMetrics m = t.metrics();
            out.writeBoolean(m != null);
            if (m != null) {
                out.writeLong(m.latencyUs());
                out.writeLong(m.planningUs());
                out.writeLong(m.executionUs());
                out.writeLong(m.rowsProcessed());
                out.writeLong(m.memoryBytes());
                out.writeFloat(m.cacheHitRate());
            }
            out.writeFloat(t.quality());
            CodecIO.writeNullableFloats(t.target(), out);
            out.writeFloat(t.weight());
        }

        @Override
        protected Trajectory readVersion(DataInput in, int version) throws IOException {
            String id = in.readUTF();
            AdapterKey key = readKey(in);
            long timestamp = in.readLong();
            float[] embedding = CodecIO.readFloats(in);
            String route = in.readUTF();
            var discrete = CodecIO.readStringMap(in);
            var numeric = CodecIO.readDoubleMap(in);
            ExecutionMetrics metrics = in.readBoolean()
                    ? new ExecutionMetrics(in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readLong(),
                            in.readFloat())
                    : null;
            float quality = in.readFloat();
            float[] target = CodecIO.readNullableFloats(in);
            float weight = in.readFloat();
            return new Trajectory(id, key, timestamp, embedding, route, discrete, numeric, metrics, quality, target,
                    weight);
        }

        @Override
        public Trajectory copy(Trajectory t) {
            return new Trajectory(t.id(), t.key(), t.timestamp(), t.embedding().clone(), t.route(), t.discreteParams(),
                    t.numericParams(), t.metrics(), t.quality(), t.target() == null ? null : t.target().clone(),
                    t.weight());
        }
    }

    /** v1: id, nullable trajectory id, key, type, source, weight, nullable target, nullable input, timestamp. */
    public static final class TrainingSignalCodec extends VersionedCodec<TrainingSignal> {
        private static final long serialVersionUID = 1L;

        public TrainingSignalCodec() {
            super(1);
        }

        @Override
        public void write(TrainingSignal s, DataOutput out) throws IOException {
            out.writeUTF(s.id());
            CodecIO.writeNullableString(s.trajectoryId(), out);
            writeKey(s.key(), out);
            out.writeUTF(s.type().name());
            out.writeUTF(s.source().name());
            out.writeFloat(s.weight());
            CodecIO.writeNullableFloats(s.target(), out);
            CodecIO.writeNullableFloats(s.input(), out);
            out.writeLong(s.timestamp());
        }

        @Override
        protected TrainingSignal readVersion(DataInput in, int version) throws IOException {
            return new TrainingSignal(in.readUTF(), CodecIO.readNullableString(in), readKey(in),
                    SignalType.valueOf(in.readUTF()), SignalSource.valueOf(in.readUTF()), in.readFloat(),
                    CodecIO.readNullableFloats(in), CodecIO.readNullableFloats(in), in.readLong());
        }

        @Override
        public TrainingSignal copy(TrainingSignal s) {
            return new TrainingSignal(s.id(), s.trajectoryId(), s.key(), s.type(), s.source(), s.weight(),
                    s.target() == null ? null : s.target().clone(), s.input() == null ? null : s.input().clone(),
                    s.timestamp());
        }
    }

    /** v1: raw bytes, source, partition, offset, reason. */
    public static final class DeadLetterCodec extends VersionedCodec<DeadLetter> {
        private static final long serialVersionUID = 1L;

        public DeadLetterCodec() {
            super(1);
        }

        @Override
        public void write(DeadLetter d, DataOutput out) throws IOException {
            CodecIO.writeBytes(d.raw(), out);
            out.writeUTF(d.source());
            out.writeInt(d.partition());
            out.writeLong(d.offset());
            out.writeUTF(d.reason());
        }

        @Override
        protected DeadLetter readVersion(DataInput in, int version) throws IOException {
            return new DeadLetter(CodecIO.readBytes(in), in.readUTF(), in.readInt(), in.readLong(), in.readUTF());
        }

        @Override
        public DeadLetter copy(DeadLetter d) {
            return new DeadLetter(d.raw().clone(), d.source(), d.partition(), d.offset(), d.reason());
        }
    }

    /** v1: bytes, source, partition, offset. */
    public static final class RawRecordCodec extends VersionedCodec<RawRecord> {
        private static final long serialVersionUID = 1L;

        public RawRecordCodec() {
            super(1);
        }

        @Override
        public void write(RawRecord r, DataOutput out) throws IOException {
            CodecIO.writeBytes(r.bytes(), out);
            out.writeUTF(r.source());
            out.writeInt(r.partition());
            out.writeLong(r.offset());
        }

        @Override
        protected RawRecord readVersion(DataInput in, int version) throws IOException {
            return new RawRecord(CodecIO.readBytes(in), in.readUTF(), in.readInt(), in.readLong());
        }

        @Override
        public RawRecord copy(RawRecord r) {
            return new RawRecord(r.bytes().clone(), r.source(), r.partition(), r.offset());
        }
    }

    /** v1: key, cycle, timestamp, patterns (nested {@link PatternCodec}). */
    public static final class PatternSnapshotCodec extends VersionedCodec<PatternSnapshot> {
        private static final long serialVersionUID = 1L;
        private static final PatternCodec PATTERN = new PatternCodec();

        public PatternSnapshotCodec() {
            super(1);
        }

        @Override
        public void write(PatternSnapshot p, DataOutput out) throws IOException {
            writeKey(p.key(), out);
            out.writeLong(p.cycle());
            out.writeLong(p.timestamp());
            CodecIO.writeNestedList(PATTERN, p.patterns(), out);
        }

        @Override
        protected PatternSnapshot readVersion(DataInput in, int version) throws IOException {
            return new PatternSnapshot(readKey(in), in.readLong(), in.readLong(), CodecIO.readNestedList(PATTERN, in));
        }

        @Override
        public PatternSnapshot copy(PatternSnapshot p) {
            return new PatternSnapshot(p.key(), p.cycle(), p.timestamp(), CodecIO.copyList(PATTERN, p.patterns()));
        }
    }

    /** v1: key, cycle, timestamp, confidence, route qualities, pattern count, sample count. */
    public static final class SkillMapCodec extends VersionedCodec<SkillMap> {
        private static final long serialVersionUID = 1L;

        public SkillMapCodec() {
            super(1);
        }

        @Override
        public void write(SkillMap m, DataOutput out) throws IOException {
            writeKey(m.key(), out);
            out.writeLong(m.cycle());
            out.writeLong(m.timestamp());
            out.writeDouble(m.confidence());
            CodecIO.writeDoubleMap(m.routeQuality(), out);
            out.writeInt(m.patterns());
            out.writeLong(m.samples());
        }

        @Override
        protected SkillMap readVersion(DataInput in, int version) throws IOException {
            return new SkillMap(readKey(in), in.readLong(), in.readLong(), in.readDouble(), CodecIO.readDoubleMap(in),
                    in.readInt(), in.readLong());
        }

        @Override
        public SkillMap copy(SkillMap m) {
            return m; // immutable: a record of immutable values and a private sorted copy of the map
        }
    }

    /** v1: id, key, embedding, timestamp. */
    public static final class QueryCodec extends VersionedCodec<Query> {
        private static final long serialVersionUID = 1L;

        public QueryCodec() {
            super(1);
        }

        @Override
        public void write(Query q, DataOutput out) throws IOException {
            out.writeUTF(q.id());
            writeKey(q.key(), out);
            CodecIO.writeFloats(q.embedding(), out);
            out.writeLong(q.timestamp());
        }

        @Override
        protected Query readVersion(DataInput in, int version) throws IOException {
            return new Query(in.readUTF(), readKey(in), CodecIO.readFloats(in), in.readLong());
        }

        @Override
        public Query copy(Query q) {
            return new Query(q.id(), q.key(), q.embedding().clone(), q.timestamp());
        }
    }

    /**
     * v1: id, key, micro and base versions, adapted embedding, hit flag, pattern id, route, discrete
     * and numeric params, confidence, similarity, timestamp.
     */
    /**
     * v2: v1's fields with the key nullable (a presence flag before it) and a nullable error at
     * the end. v1: id, key, versions, adapted, hit, pattern id, route, params, confidence,
     * similarity, timestamp.
     */
    public static final class ResponseCodec extends VersionedCodec<Response> {
        private static final long serialVersionUID = 1L;

        public ResponseCodec() {
            super(2);
        }

        @Override
        public void write(Response r, DataOutput out) throws IOException {
            out.writeUTF(r.id());
            out.writeBoolean(r.key() != null);
            if (r.key() != null) {
                writeKey(r.key(), out);
            }
            out.writeLong(r.microVersion());
            out.writeLong(r.baseVersion());
            CodecIO.writeFloats(r.adapted(), out);
            out.writeBoolean(r.patternHit());
            out.writeLong(r.patternId());
            out.writeUTF(r.route());
            CodecIO.writeStringMap(r.discreteParams(), out);
            CodecIO.writeDoubleMap(r.numericParams(), out);
            out.writeFloat(r.confidence());
            out.writeFloat(r.similarity());
            out.writeLong(r.timestamp());
            out.writeBoolean(r.error() != null);
            if (r.error() != null) {
                out.writeUTF(r.error());
            }
        }

        @Override
        protected Response readVersion(DataInput in, int version) throws IOException {
            String id = in.readUTF();
            AdapterKey key = version == 1 || in.readBoolean() ? readKey(in) : null;
            long micro = in.readLong();
            long base = in.readLong();
            float[] adapted = CodecIO.readFloats(in);
            boolean hit = in.readBoolean();
            long patternId = in.readLong();
            String route = in.readUTF();
            Map<String, String> discrete = CodecIO.readStringMap(in);
            Map<String, Double> numeric = CodecIO.readDoubleMap(in);
            float confidence = in.readFloat();
            float similarity = in.readFloat();
            long timestamp = in.readLong();
            String error = version >= 2 && in.readBoolean() ? in.readUTF() : null;
            return new Response(id, key, micro, base, adapted, hit, patternId, route, discrete, numeric, confidence,
                    similarity, timestamp, error);
        }

        @Override
        public Response copy(Response r) {
            return new Response(r.id(), r.key(), r.microVersion(), r.baseVersion(), r.adapted().clone(),
                    r.patternHit(), r.patternId(), r.route(), r.discreteParams(), r.numericParams(), r.confidence(),
                    r.similarity(), r.timestamp(), r.error());
        }
    }
}
