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
import io.sonaflink.operators.events.SignalType;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.events.TrainingSignal;
import io.sonaflink.operators.feedback.FeedbackJoinFunction;
import io.sonaflink.operators.feedback.FeedbackJoinOperator;
import io.sonaflink.operators.feedback.SignalRouting;
import io.sonaflink.operators.gate.AdapterGateFunction;
import io.sonaflink.operators.inference.InferenceFunction;
import io.sonaflink.operators.parse.ParseFunction;
import io.sonaflink.operators.parse.ParseLimits;

import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.datastream.DataStream;
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

    public static void build(
            DataStream<RawRecord> trajectoryRecords, DataStream<RawRecord> signalRecords,
            DataStream<RawRecord> controlRecords, DataStream<RawRecord> queryRecords,
            SonaSinks sinks, ReadableConfig conf) {
        ParseLimits limits = new ParseLimits(conf.get(SonaOptions.EMBEDDING_DIMENSION), conf.get(SonaOptions.MAX_PAYLOAD_BYTES));

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

        DataStream<Trajectory> imports = signals
                .filter(s -> s.type() == SignalType.IMPORT)
                .name("imports").uid(UID_PREFIX + "imports")
                .map(SignalRouting::importAsTrajectory).returns(EventCodecs.TRAJECTORY)
                .name("import-as-trajectory").uid(UID_PREFIX + "import-as-trajectory");
        SingleOutputStreamOperator<Trajectory> joined = trajectories
                .keyBy(Trajectory::id)
                .connect(signals
                        .filter(s -> s.type() != SignalType.IMPORT)
                        .name("feedback-signals").uid(UID_PREFIX + "feedback-signals")
                        .keyBy(TrainingSignal::trajectoryId))
                .transform("feedback-join", EventCodecs.TRAJECTORY,
                        new FeedbackJoinOperator(new FeedbackJoinFunction(SonaOptions.feedbackJoin(conf))))
                .uid(UID_PREFIX + "feedback-join");

        DataStream<Trajectory> learned = joined.union(imports);

        SingleOutputStreamOperator<AdapterUpdate> baseCandidates = learned
                .keyBy(t -> t.key().asString())
                .transform("background-loop", AdapterUpdateCodec.TYPE,
                        new BackgroundLoopOperator(SonaOptions.backgroundLoop(conf)))
                .uid(UID_PREFIX + "background-loop");

        // The gate owns what is served: it runs the instant loop (MicroLoRA on the residual of the
        // champion BaseLoRA, which it decides) on the key's trajectories, judges the background
        // loop's BaseLoRA candidates, and takes control commands as broadcast state.
        DataStream<Either<Trajectory, AdapterUpdate>> gateInput = learned
                .map(AdapterGateFunction::trajectory).returns(AdapterGateFunction.INPUT_TYPE)
                .name("gate-trajectories").uid(UID_PREFIX + "gate-trajectories")
                .union(baseCandidates
                        .map(AdapterGateFunction::candidate).returns(AdapterGateFunction.INPUT_TYPE)
                        .name("gate-candidates").uid(UID_PREFIX + "gate-candidates"));
        SingleOutputStreamOperator<AdapterUpdate> published = gateInput
                .keyBy(new AdapterGateFunction.InputKey())
                .connect(control.broadcast(AdapterGateFunction.broadcastStateDescriptors()))
                .process(new AdapterGateFunction(SonaOptions.adapterGate(conf), SonaOptions.instantLoop(conf)),
                        AdapterUpdateCodec.TYPE)
                .name("adapter-gate").uid(UID_PREFIX + "adapter-gate");

        published.sinkTo(sinks.adapterUpdates()).name("adapter-updates").uid(UID_PREFIX + "sink.adapter-updates");

        // Serving: published adapters and pattern snapshots reach every inference task as broadcast state.
        DataStream<Either<AdapterUpdate, PatternSnapshot>> serving = published
                .map(InferenceFunction::adapter).returns(InferenceFunction.SERVING_UPDATE_TYPE)
                .name("serving-adapters").uid(UID_PREFIX + "serving-adapters")
                .union(baseCandidates.getSideOutput(BackgroundLoopOperator.PATTERN_SNAPSHOTS)
                        .map(InferenceFunction::patterns).returns(InferenceFunction.SERVING_UPDATE_TYPE)
                        .name("serving-patterns").uid(UID_PREFIX + "serving-patterns"));
        queries.keyBy(q -> q.key().asString())
                .connect(serving.broadcast(InferenceFunction.ADAPTERS, InferenceFunction.PATTERNS))
                .process(new InferenceFunction(SonaOptions.routeAdvisor(conf)), EventCodecs.RESPONSE)
                .name("inference").uid(UID_PREFIX + "inference")
                .sinkTo(sinks.responses()).name("responses").uid(UID_PREFIX + "sink.responses");
        published.getSideOutput(AdapterGateFunction.DECISIONS)
                .sinkTo(sinks.gateDecisions()).name("gate-decisions").uid(UID_PREFIX + "sink.gate-decisions");
        baseCandidates.getSideOutput(BackgroundLoopOperator.PATTERN_SNAPSHOTS)
                .sinkTo(sinks.patternSnapshots()).name("pattern-snapshots").uid(UID_PREFIX + "sink.pattern-snapshots");
        baseCandidates.getSideOutput(BackgroundLoopOperator.SKILL_MAPS)
                .sinkTo(sinks.skillMaps()).name("skill-maps").uid(UID_PREFIX + "sink.skill-maps");

        DataStream<DeadLetter> unmatched = joined.getSideOutput(FeedbackJoinFunction.UNMATCHED_SIGNALS)
                .map(SignalRouting::unmatched).returns(EventCodecs.DEAD_LETTER)
                .name("unmatched-signals").uid(UID_PREFIX + "unmatched-signals");
        trajectories.getSideOutput(ParseFunction.DEAD_LETTERS)
                .union(signals.getSideOutput(ParseFunction.DEAD_LETTERS),
                        control.getSideOutput(ParseFunction.DEAD_LETTERS),
                        queries.getSideOutput(ParseFunction.DEAD_LETTERS), unmatched)
                .sinkTo(sinks.deadLetters()).name("dead-letters").uid(UID_PREFIX + "sink.dead-letters");
    }
}
