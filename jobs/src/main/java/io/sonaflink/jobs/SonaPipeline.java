package io.sonaflink.jobs;

import io.sonaflink.operators.background.BackgroundLoopOperator;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.AdapterUpdateCodec;
import io.sonaflink.operators.events.Control;
import io.sonaflink.operators.events.DeadLetter;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.events.Query;
import io.sonaflink.operators.events.RawRecord;
import io.sonaflink.operators.events.Response;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.events.TrainingSignal;
import io.sonaflink.operators.feedback.FeedbackJoinFunction;
import io.sonaflink.operators.feedback.FeedbackJoinOperator;
import io.sonaflink.operators.gate.AdapterGateFunction;
import io.sonaflink.operators.gate.AdapterGateOperator;
import io.sonaflink.operators.inference.InferenceOperator;
import io.sonaflink.operators.parse.ParseFunction;
import io.sonaflink.operators.parse.ParseLimits;

import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.types.Either;

/**
 * Wires the job graph and nothing else: sources come in as streams of raw records (trajectories,
 * signals, control commands, queries), outputs leave
 * through the given sinks, so the same graph runs against Kafka in production and against bounded
 * inputs in tests and local runs. Every operator has a readable name and a stable uid (the uids
 * are pinned by a test: changing one orphans the state in users' savepoints).
 */
public final class SonaPipeline {

    public static final String UID_PREFIX = "sona.";

    private SonaPipeline() {}

    /**
     * Keys are spread over this many key groups unless {@code pipeline.max-parallelism} is set. It
     * is the most any keyed operator can ever be scaled out to, and it cannot change without
     * losing keyed state; 128 is also what earlier releases got by default at parallelism up to 85,
     * so their savepoints keep restoring.
     */
    public static final int DEFAULT_MAX_PARALLELISM = 128;

    public static void build(
            DataStream<RawRecord> trajectoryRecords, DataStream<RawRecord> signalRecords,
            DataStream<RawRecord> controlRecords, DataStream<RawRecord> queryRecords,
            SonaSinks sinks, ReadableConfig conf) {
        if (!conf.getOptional(PipelineOptions.MAX_PARALLELISM).isPresent()) {
            trajectoryRecords.getExecutionEnvironment().setMaxParallelism(DEFAULT_MAX_PARALLELISM);
        }
        ParseLimits limits = new ParseLimits(conf.get(SonaOptions.EMBEDDING_DIMENSION),
                conf.get(SonaOptions.MAX_PAYLOAD_BYTES), conf.get(SonaOptions.SCHEMA_REGISTRY_FRAMING));

        SingleOutputStreamOperator<Trajectory> trajectories = trajectoryRecords
                .process(ParseFunction.trajectories(limits))
                .name("parse-trajectories").uid(UID_PREFIX + "parse-trajectories");
        SingleOutputStreamOperator<TrainingSignal> signals = signalRecords
                .process(ParseFunction.signals(limits))
                .name("parse-signals").uid(UID_PREFIX + "parse-signals");
        SingleOutputStreamOperator<Control> control = controlRecords
                .process(ParseFunction.controls(limits))
                .name("parse-control").uid(UID_PREFIX + "parse-control");
        SingleOutputStreamOperator<Query> queries = queryRecords
                .process(ParseFunction.queries(limits))
                .name("parse-queries").uid(UID_PREFIX + "parse-queries");
        parallelism(conf, SonaOptions.PARSE_PARALLELISM, trajectories, signals, control, queries);

        // One keyed partitioning for the whole learner chain: trajectories and signals are keyed by
        // adapter key once; the background loop is chained to the join, and the gate reads the
        // loop's one ordered output over a forward edge, so nothing is shuffled again.
        int bundleKeys = conf.get(SonaOptions.STATE_BUNDLE_KEYS);
        SingleOutputStreamOperator<Either<Trajectory, Trajectory>> joined = trajectories
                .keyBy(t -> t.key().asString())
                .connect(signals.keyBy(s -> s.key().asString()))
                .transform("feedback-join", FeedbackJoinFunction.OUTPUT_TYPE, new FeedbackJoinOperator(
                        new FeedbackJoinFunction(SonaOptions.feedbackJoin(conf)), bundleKeys))
                .uid(UID_PREFIX + "feedback-join-by-key");
        SingleOutputStreamOperator<Either<Trajectory, AdapterUpdate>> learned = DataStreamUtils
                .reinterpretAsKeyedStream(joined, new JoinedKey(), Types.STRING)
                .transform("background-loop", AdapterGateFunction.INPUT_TYPE,
                        new BackgroundLoopOperator(SonaOptions.backgroundLoop(conf), bundleKeys))
                .uid(UID_PREFIX + "background-loop");

        // The gate owns what is served: it runs the instant loop (MicroLoRA on the residual of the
        // champion BaseLoRA, which it decides) on the examples to learn now, watches qualities,
        // judges the background loop's BaseLoRA candidates, and takes control commands as
        // broadcast state.
        SingleOutputStreamOperator<AdapterUpdate> published = DataStreamUtils
                .reinterpretAsKeyedStream(learned, new AdapterGateFunction.InputKey(), Types.STRING)
                .connect(control.broadcast())
                .transform("adapter-gate", AdapterUpdateCodec.TYPE, new AdapterGateOperator(
                        new AdapterGateFunction(SonaOptions.adapterGate(conf), SonaOptions.instantLoop(conf)),
                        bundleKeys))
                .uid(UID_PREFIX + "adapter-gate");
        parallelism(conf, SonaOptions.LEARNER_PARALLELISM, joined, learned, published);

        published.sinkTo(sinks.adapterUpdates()).name("adapter-updates").uid(UID_PREFIX + "sink.adapter-updates");
        // Over a forward edge at the gate's parallelism, so a key's manifest has one writer.
        SonaOptions.adapterRegistry(conf).ifPresent(registry -> published.sinkTo(registry)
                .name("adapter-registry").uid(UID_PREFIX + "sink.adapter-registry")
                .setParallelism(published.getParallelism()));

        // Serving: published adapters and pattern snapshots reach every inference task as broadcast
        // state, so queries need no keying: each task batches across all keys (one GPU, one batch).
        DataStream<Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot>> serving = published
                .map(InferenceOperator::adapter).returns(InferenceOperator.SERVING_UPDATE_TYPE)
                .name("serving-adapters").uid(UID_PREFIX + "serving-adapters")
                .union(learned.getSideOutput(BackgroundLoopOperator.PATTERN_SNAPSHOTS)
                        .map(InferenceOperator::patterns).returns(InferenceOperator.SERVING_UPDATE_TYPE)
                        .name("serving-patterns").uid(UID_PREFIX + "serving-patterns"));
        SingleOutputStreamOperator<Response> responses = queries
                .connect(serving.broadcast())
                .transform("inference", EventCodecs.RESPONSE, new InferenceOperator(SonaOptions.inference(conf),
                        SonaOptions.servingStore(conf).orElse(null)))
                .uid(UID_PREFIX + "inference")
                .slotSharingGroup(conf.get(SonaOptions.INFERENCE_SLOT_SHARING_GROUP));
        parallelism(conf, SonaOptions.INFERENCE_PARALLELISM, responses);
        // A query waits for nothing but its batch: each hop of the query path sends its buffer at once
        // (queries are a small share of the traffic, so fuller buffers would save little).
        long queryBufferMs = conf.get(SonaOptions.QUERY_BUFFER_TIMEOUT).toMillis();
        queries.setBufferTimeout(queryBufferMs);
        responses.setBufferTimeout(queryBufferMs);
        // A query rejected as malformed is a dead letter and, when its id is readable, an error response.
        responses.union(queries.getSideOutput(ParseFunction.ERROR_RESPONSES))
                .sinkTo(sinks.responses()).name("responses").uid(UID_PREFIX + "sink.responses");
        published.getSideOutput(AdapterGateFunction.DECISIONS)
                .sinkTo(sinks.gateDecisions()).name("gate-decisions").uid(UID_PREFIX + "sink.gate-decisions");
        learned.getSideOutput(BackgroundLoopOperator.PATTERN_SNAPSHOTS)
                .sinkTo(sinks.patternSnapshots()).name("pattern-snapshots").uid(UID_PREFIX + "sink.pattern-snapshots");
        // Banks the inference tasks read instead of every task holding every bank.
        SonaOptions.patternRegistry(conf).ifPresent(registry -> learned.getSideOutput(BackgroundLoopOperator.PATTERN_SNAPSHOTS)
                .sinkTo(registry).name("pattern-registry").uid(UID_PREFIX + "sink.pattern-registry")
                .setParallelism(learned.getParallelism()));
        learned.getSideOutput(BackgroundLoopOperator.SKILL_MAPS)
                .sinkTo(sinks.skillMaps()).name("skill-maps").uid(UID_PREFIX + "sink.skill-maps");

        DataStream<DeadLetter> unmatched = joined.getSideOutput(FeedbackJoinFunction.UNMATCHED_SIGNALS);
        trajectories.getSideOutput(ParseFunction.DEAD_LETTERS)
                .union(signals.getSideOutput(ParseFunction.DEAD_LETTERS),
                        control.getSideOutput(ParseFunction.DEAD_LETTERS),
                        queries.getSideOutput(ParseFunction.DEAD_LETTERS), unmatched)
                .sinkTo(sinks.deadLetters()).name("dead-letters").uid(UID_PREFIX + "sink.dead-letters");
    }

    /** Sets {@code option}'s parallelism, when given, on each of {@code operators}. */
    private static void parallelism(ReadableConfig conf, ConfigOption<Integer> option,
            SingleOutputStreamOperator<?>... operators) {
        int parallelism = conf.get(option);
        if (parallelism > 0) {
            for (SingleOutputStreamOperator<?> operator : operators) {
                operator.setParallelism(parallelism);
            }
        }
    }

    /** The adapter key of the join's output, the key it is partitioned by. */
    private static final class JoinedKey implements KeySelector<Either<Trajectory, Trajectory>, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getKey(Either<Trajectory, Trajectory> value) {
            return (value.isLeft() ? value.left() : value.right()).key().asString();
        }
    }
}
