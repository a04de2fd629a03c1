package io.sonaflink.operators.gate;

import io.sonaflink.operators.background.BackgroundLoopOperator;
import io.sonaflink.operators.bundle.KeyAccess;
import io.sonaflink.operators.bundle.StateBundle;
import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.AdapterUpdateCodec;
import io.sonaflink.operators.events.Control;
import io.sonaflink.operators.events.ControlCommand;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.GateDecision;
import io.sonaflink.operators.events.GateDecisionCodec;
import io.sonaflink.operators.events.GateDecisionType;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.instant.InstantLoop;
import io.sonaflink.operators.instant.InstantLoopConfig;
import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.MicroLora;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.serialization.StateSerializers;
import io.sonaflink.state.serving.ServedModel;
import io.sonaflink.state.serving.ServedModelValidator;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.api.java.typeutils.ListTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The adapter gate (architecture §4) and, inside it, the instant loop: the one operator that owns
 * what is served for a key, the stack {@link ServedModel} {@code x + Δbase(x) + Δmicro(x)}.
 * MicroLoRA learns the residual of the champion BaseLoRA, so its learner must see the champion,
 * and the champion is decided here; a separate instant-loop operator upstream could not.
 *
 * <p>Input, keyed by {@link AdapterKey#asString()} ({@link InputKey}): trajectories ({@code Left})
 * and BaseLoRA candidates from the background loop ({@code Right}), with {@link #INPUT_TYPE}.
 * Output: the published adapter updates, whose versions the gate assigns: per key and kind 1, 2,
 * 3, ... with the previous published version as parent, never duplicated and never skipped, so the
 * serving tier can apply "only if newer". Every decision, with its reason and numbers, goes to
 * {@link #DECISIONS}.
 *
 * <ul>
 *   <li><b>Held-out split.</b> A trajectory the {@linkplain AdapterGateConfig#split() split} holds
 *       out trains nothing; with a target it joins the recent held-out ring (map state indexed by
 *       slot, O(1) per event). The background loop drops the targets of the same trajectories.
 *   <li><b>Instant loop.</b> Every other trajectory with a target is one MicroLoRA step on the
 *       residual of the champion BaseLoRA ({@link InstantLoop}), at once. Every {@code
 *       publishEveryUpdates} flushes, or {@code publishIntervalMs} of processing time after the
 *       first unjudged one, the MicroLoRA becomes a candidate.
 *   <li><b>Judging.</b> A candidate is scored as the served model it would make (a MicroLoRA with
 *       the champion BaseLoRA; a BaseLoRA with the MicroLoRA restarted from identity, which is
 *       what promoting it serves) against the served model, on the recent held-out set and on the
 *       held-out set kept from each earlier task, against the quality the task had when it ended
 *       ({@link ServedModelValidator}, {@link HeldOutMemory}). A BaseLoRA candidate that starts a
 *       new EWC++ task moves the held-out trajectories from before its window into that earlier
 *       task's set first. A candidate that passes is published as its
 *       kind's next version, or, while the key is pinned, held as its challenger until {@link
 *       ControlCommand#PROMOTE}. When the served model is worse than the identity on the recent set
 *       and the candidate does not beat it, the kind falls back to the identity, so a champion
 *       worse than both is never kept. While learning is paused, candidates are ignored.
 *   <li><b>Rebase.</b> Whenever the served BaseLoRA changes (promotion, rollback, pin), the
 *       MicroLoRA restarts from the identity on top of it ({@link InstantLoop#rebase}) and the
 *       reset is published as its next version. Every MicroLoRA update carries the base version it
 *       was learned on ({@link AdapterUpdate#METRIC_SERVED_WITH_BASE}); it is served only with it.
 *   <li><b>Rollback.</b> The last {@code historySize} published versions of each kind are kept; a
 *       rollback publishes an older version's weights again under a new version (version 0 is the
 *       identity). A promotion is watched twice: on the next {@code autoRollbackHeldOut} held-out
 *       examples the served model's quality is compared with what a rollback would serve on the
 *       same examples, and over the next {@code autoRollbackWindow} trajectories without a
 *       correction (whose quality the fleet measured, not a correction set) the mean quality with
 *       the mean before. Either falling below {@code autoRollbackQuality} of its reference rolls
 *       the kind back to the version before the watched promotion. Promotions during a watch do
 *       not restart it; a rollback ends it. A pinned key is not rolled back automatically.
 * </ul>
 *
 * <p>Control settings (pause, pin, thresholds, governor toggles) live in the broadcast states
 * {@link #FLAGS} and {@link #THRESHOLDS}, globally or per key ({@link GateControls}); every task
 * applies them, and task 0 alone reports them, so each command gets one decision. Commands that
 * change adapters (rollback, promote, pin to a version) reach the keyed state through {@code
 * applyToKeyedState}, which visits only the keys of the task that owns them: their decisions and
 * updates are emitted exactly once, by that task. A command for a key no task has seen changes
 * nothing and reports nothing.
 */
public class AdapterGateFunction
        extends KeyedBroadcastProcessFunction<String, Either<Trajectory, AdapterUpdate>, Control, AdapterUpdate> {

    private static final long serialVersionUID = 2L;

    /** Every decision of the gate, for candidates, commands and automatic rollbacks. */
    public static final OutputTag<GateDecision> DECISIONS = new OutputTag<>("gate-decisions", GateDecisionCodec.TYPE);

    /** Type of the gate's input: trajectories or BaseLoRA candidates, with the events' own codecs. */
    public static final TypeInformation<Either<Trajectory, AdapterUpdate>> INPUT_TYPE =
            new EitherTypeInfo<>(EventCodecs.TRAJECTORY, AdapterUpdateCodec.TYPE);

    /** Broadcast boolean settings: pause, pin, governor toggles. */
    public static final MapStateDescriptor<String, Boolean> FLAGS =
            new MapStateDescriptor<>("gate-flags", Types.STRING, Types.BOOLEAN);

    /** Broadcast numeric settings: thresholds set by command, over the configured defaults. */
    public static final MapStateDescriptor<String, Double> THRESHOLDS =
            new MapStateDescriptor<>("gate-thresholds", Types.STRING, Types.DOUBLE);

    /** Metric added to published updates: the candidate's version as its learner numbered it. */
    public static final String METRIC_LEARNER_VERSION = "gate.learnerVersion";
    /** Metric added to published updates: recent held-out examples the candidate was validated on. */
    public static final String METRIC_HELD_OUT = "gate.heldOut";
    /** Metric added to published updates: mean recent held-out loss of the served model it makes. */
    public static final String METRIC_LOSS = "gate.loss";
    /** Metric added to published updates: mean recent held-out loss of the identity adapter. */
    public static final String METRIC_IDENTITY_LOSS = "gate.identityLoss";
    /** Metric added to published updates: {@code 1 - loss / identity loss}. */
    public static final String METRIC_QUALITY = "gate.quality";
    /** Metric added to published updates: recent retention against the served model, when the criterion. */
    public static final String METRIC_RETENTION = "gate.retention";
    /** Metric added to rollbacks: the version whose weights they carry (0: identity). */
    public static final String METRIC_ROLLED_BACK_TO = "gate.rolledBackTo";

    /** Trajectories processed. */
    public static final String METRIC_EVENTS = "events";
    /** Corrections the MicroLoRA learned from. */
    public static final String METRIC_CORRECTIONS = "corrections";
    /** Held-out trajectories with a target (kept for validation, learned by nobody). */
    public static final String METRIC_HELD_OUT_EVENTS = "heldOutCorrections";
    /** Corrections skipped because their embedding has the wrong dimension. */
    public static final String METRIC_REJECTED_CORRECTIONS = "rejectedCorrections";
    /** MicroLoRA candidates judged. */
    public static final String METRIC_MICRO_UPDATES = "microUpdates";

    /** State names are part of the savepoint format (readable with the State Processor API). */
    public static final String MICRO_LORA_STATE = "micro-lora";
    static final String STATE_KEY = "gate-key";
    static final String STATE_KEYS_SEEN = "gate-keys-seen";
    static final String STATE_HELD_OUT = "held-out";
    static final String STATE_TASK_HELD_OUT = "task-held-out";
    static final String STATE_TASK_QUALITY = "task-quality";
    static final String STATE_RECENT_QUALITY = "recent-quality";
    static final String STATE_CHALLENGERS = "challengers";

    /** Histogram: processing time from a correction's record timestamp to its MicroLoRA step, ms. */
    public static final String METRIC_CORRECTION_TO_UPDATE = "correctionToUpdateMs";
    /** Histogram: from the first correction a MicroLoRA version learned to its publication, ms. */
    public static final String METRIC_CORRECTION_TO_PUBLISHED = "correctionToPublishedMs";

    /** Samples the latency histograms hold: percentiles are over each task's last this many corrections. */
    public static final int LATENCY_WINDOW = 4096;
    /** Keys whose first unpublished correction is remembered for the publication latency, at most. */
    private static final int LATENCY_KEYS = 65_536;

    /** Champion adapters kept prepared per task, so a correction does not deserialize its base. */
    private static final int CHAMPION_CACHE_SIZE = 1024;

    private static final AdapterKind[] KINDS = AdapterKind.values();

    private final AdapterGateConfig config;
    private final InstantLoopConfig instant;

    /** Set by {@link AdapterGateOperator}: bundles the per-event state on the heap between checkpoints. */
    private transient KeyAccess keyAccess;
    private transient int bundleKeys;
    private transient StateBundle bundle;
    private transient ValueState<GateKeyState> keyState;
    /** Written once per key and never changed: the state {@code applyToKeyedState} iterates. */
    private transient ValueStateDescriptor<Boolean> keysSeenDescriptor;
    private transient ValueState<Boolean> keysSeen;
    private transient ValueState<MicroLora> microState;
    private transient HeldOutMemory heldOut;
    private transient MapState<Integer, Float> recentQuality;
    private transient EnumMap<AdapterKind, MapState<Long, AdapterUpdate>> history;
    private transient MapState<String, AdapterUpdate> challengers;
    private transient Map<String, Published> championCache;
    private transient InstantLoop instantLoop;
    private transient EnumMap<GateDecisionType, Counter> decisionCounters;
    private transient Counter eventsCounter;
    private transient Counter correctionsCounter;
    private transient Counter heldOutCounter;
    private transient Counter rejectedCounter;
    private transient Counter microUpdatesCounter;
    private transient Histogram correctionToUpdate;
    private transient Histogram correctionToPublished;
    /** Record timestamp of the first correction each key's next MicroLoRA version learned (metric only). */
    private transient Map<String, Long> firstUnpublishedCorrection;
    private transient boolean reportsCommands;
    /** The key whose state is current: set where Flink makes one current, read by the champion cache. */
    private transient String currentKey;

    public AdapterGateFunction(AdapterGateConfig config, InstantLoopConfig instant) {
        this.config = config;
        this.instant = instant;
    }

    /** The broadcast state descriptors to broadcast the control stream with. */
    public static MapStateDescriptor<?, ?>[] broadcastStateDescriptors() {
        return new MapStateDescriptor<?, ?>[] {FLAGS, THRESHOLDS};
    }

    public static Either<Trajectory, AdapterUpdate> trajectory(Trajectory t) {
        return Either.Left(t);
    }

    public static Either<Trajectory, AdapterUpdate> candidate(AdapterUpdate u) {
        return Either.Right(u);
    }

    /** Keys the gate's input by adapter key. */
    public static final class InputKey implements KeySelector<Either<Trajectory, AdapterUpdate>, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getKey(Either<Trajectory, AdapterUpdate> value) {
            return value.isLeft() ? value.left().key().asString() : value.right().key().asString();
        }
    }

    /** The counter of one decision type, e.g. {@code decisions_promoted}. */
    public static String decisionCounter(GateDecisionType type) {
        return "decisions_" + type.name().toLowerCase(Locale.ROOT);
    }

    /** Name of the version-history state of {@code kind}. */
    static String historyStateName(AdapterKind kind) {
        return "history-" + kind.name().toLowerCase(Locale.ROOT);
    }

    /** The per-key gate record (published versions, watches, counters), as the savepoint holds it. */
    public static ValueStateDescriptor<GateKeyState> keyStateDescriptor() {
        return new ValueStateDescriptor<>(STATE_KEY, GateKeyStateCodec.TYPE);
    }

    /** The key's MicroLoRA, which the instant loop in this operator updates. */
    public static ValueStateDescriptor<MicroLora> microLoraStateDescriptor() {
        return new ValueStateDescriptor<>(MICRO_LORA_STATE, StateSerializers.microLora());
    }

    /** The versions of {@code kind} the key keeps for rollbacks, by version. */
    public static MapStateDescriptor<Long, AdapterUpdate> historyStateDescriptor(AdapterKind kind) {
        return new MapStateDescriptor<>(historyStateName(kind), Types.LONG, AdapterUpdateCodec.TYPE);
    }

    /** Bundles the key record and the MicroLoRA of up to {@code maxKeys} keys on the heap (see {@link StateBundle}). */
    void bundleState(KeyAccess access, int maxKeys) {
        this.keyAccess = access;
        this.bundleKeys = maxKeys;
    }

    /** Writes the bundled state to the keyed state backend: before a barrier, and before commands read it. */
    void flushBundle() throws Exception {
        if (bundle != null) {
            bundle.flush();
        }
    }

    @Override
    public void open(OpenContext openContext) {
        ValueState<GateKeyState> keyRecords = getRuntimeContext().getState(keyStateDescriptor());
        keysSeenDescriptor = new ValueStateDescriptor<>(STATE_KEYS_SEEN, Types.BOOLEAN);
        keysSeen = getRuntimeContext().getState(keysSeenDescriptor);
        ValueState<MicroLora> micros = getRuntimeContext().getState(microLoraStateDescriptor());
        if (keyAccess != null) {
            bundle = new StateBundle(keyAccess::currentKey, keyAccess::setCurrentKey, bundleKeys);
            keyState = bundle.bundle(keyRecords);
            microState = bundle.bundle(micros);
        } else {
            keyState = keyRecords;
            microState = micros;
        }
        heldOut = new HeldOutMemory(config,
                getRuntimeContext().getMapState(
                        new MapStateDescriptor<>(STATE_HELD_OUT, Types.INT, EventCodecs.TRAJECTORY)),
                getRuntimeContext().getMapState(new MapStateDescriptor<>(
                        STATE_TASK_HELD_OUT, Types.LONG, new ListTypeInfo<>(EventCodecs.TRAJECTORY))),
                getRuntimeContext().getMapState(
                        new MapStateDescriptor<>(STATE_TASK_QUALITY, Types.LONG, Types.DOUBLE)));
        recentQuality = getRuntimeContext().getMapState(
                new MapStateDescriptor<>(STATE_RECENT_QUALITY, Types.INT, Types.FLOAT));
        history = new EnumMap<>(AdapterKind.class);
        for (AdapterKind kind : KINDS) {
            history.put(kind, getRuntimeContext().getMapState(historyStateDescriptor(kind)));
        }
        challengers = getRuntimeContext().getMapState(
                new MapStateDescriptor<>(STATE_CHALLENGERS, Types.STRING, AdapterUpdateCodec.TYPE));
        championCache = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Published> eldest) {
                return size() > CHAMPION_CACHE_SIZE;
            }
        };
        instantLoop = new InstantLoop(instant);
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        decisionCounters = new EnumMap<>(GateDecisionType.class);
        for (GateDecisionType type : GateDecisionType.values()) {
            decisionCounters.put(type, metrics.counter(decisionCounter(type)));
        }
        eventsCounter = metrics.counter(METRIC_EVENTS);
        correctionsCounter = metrics.counter(METRIC_CORRECTIONS);
        heldOutCounter = metrics.counter(METRIC_HELD_OUT_EVENTS);
        rejectedCounter = metrics.counter(METRIC_REJECTED_CORRECTIONS);
        microUpdatesCounter = metrics.counter(METRIC_MICRO_UPDATES);
        correctionToUpdate =
                metrics.histogram(METRIC_CORRECTION_TO_UPDATE, new DescriptiveStatisticsHistogram(LATENCY_WINDOW));
        correctionToPublished =
                metrics.histogram(METRIC_CORRECTION_TO_PUBLISHED, new DescriptiveStatisticsHistogram(LATENCY_WINDOW));
        firstUnpublishedCorrection = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                return size() > LATENCY_KEYS; // metric bookkeeping only: a key forgotten is a sample lost
            }
        };
        reportsCommands = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0;
    }

    // ---------------------------------------------------------------- keyed input

    @Override
    public void processElement(Either<Trajectory, AdapterUpdate> value, ReadOnlyContext ctx,
            Collector<AdapterUpdate> out) throws Exception {
        GateKeyState st = keyState.value();
        if (st == null) {
            st = new GateKeyState();
            keysSeen.update(Boolean.TRUE);
        }
        currentKey = ctx.getCurrentKey();
        st.key = value.isLeft() ? value.left().key() : value.right().key();
        Decisions decisions = d -> ctx.output(DECISIONS, d);
        Flags flags = flagsOf(ctx, currentKey, st);
        if (value.isLeft()) {
            observe(value.left(), st, ctx, flags, decisions, out);
        } else {
            judge(value.right(), st, flags, decisions, out);
        }
        keyState.update(st);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<AdapterUpdate> out) throws Exception {
        GateKeyState st = keyState.value();
        if (st == null || st.pendingTimer != timestamp) {
            return; // not ours: a timer this function deletes never fires
        }
        st.pendingTimer = GateKeyState.NO_TIMER;
        currentKey = ctx.getCurrentKey();
        MicroLora micro = microState.value();
        if (micro != null && micro.flushes() > st.microCandidateFlushes) {
            judgeMicro(micro, st, flagsOf(ctx, ctx.getCurrentKey(), st), d -> ctx.output(DECISIONS, d), out);
        }
        keyState.update(st);
    }

    /** Routes a trajectory: held out (validation only), a correction to learn, or quality to watch. */
    private void observe(Trajectory t, GateKeyState st, ReadOnlyContext ctx, Flags flags, Decisions decisions,
            Collector<AdapterUpdate> out) throws Exception {
        eventsCounter.inc();
        st.trajectories++;
        if (Float.isFinite(t.quality())) {
            st.qualitySum += t.quality();
        }
        if (t.hasTarget()) {
            if (config.split().isHeldOut(t.id())) {
                heldOutCounter.inc();
                heldOut.add(currentKey, t, st);
                watchHeldOut(t, st, flags, decisions, out);
            } else {
                learn(t, st, ctx, flags, decisions, out);
            }
        } else if (Float.isFinite(t.quality())) {
            // only a quality the fleet measured is comparable across versions; a correction's is not
            watchQuality(t, st, flags, decisions, out);
        }
    }

    /** One MicroLoRA step on the residual of the champion BaseLoRA, and a candidate when it is due. */
    private void learn(Trajectory t, GateKeyState st, ReadOnlyContext ctx, Flags flags, Decisions decisions,
            Collector<AdapterUpdate> out) throws Exception {
        if (t.embedding().length != instant.dim()) {
            // Parsing rejects wrong dimensions; should one get here, it must not fail the job.
            rejectedCounter.inc();
            return;
        }
        MicroLora micro = microState.value();
        if (micro == null) {
            micro = MicroLora.create(instant.dim(), instant.micro(),
                    adapterSeed(instant.seed(), ctx.getCurrentKey()));
        }
        long flushesBefore = micro.flushes();
        LoraAdapter base = champion(AdapterKind.BASE, st);
        float loss = instantLoop.learn(micro, base, t.embedding(), t.target(), t.weight());
        correctionsCounter.inc();
        Long arrived = ctx.timestamp();
        if (arrived != null && arrived > 0) {
            correctionToUpdate.update(Math.max(0, System.currentTimeMillis() - arrived));
            firstUnpublishedCorrection.putIfAbsent(currentKey, arrived);
        }
        st.correctionsSinceCandidate++;
        st.lossSinceCandidate += loss;
        if (micro.flushes() != flushesBefore) {
            st.lastChangeTimestamp = t.timestamp();
            if (micro.flushes() - st.microCandidateFlushes >= instant.publishEveryUpdates()) {
                judgeMicro(micro, st, flags, decisions, out);
            } else if (instant.publishesOnInterval() && !st.hasPendingTimer()) {
                TimerService timers = ctx.timerService();
                st.pendingTimer = timers.currentProcessingTime() + instant.publishIntervalMs();
                timers.registerProcessingTimeTimer(st.pendingTimer);
            }
        }
        microState.update(micro);
    }

    /** The live MicroLoRA as a candidate, judged like any other. */
    private void judgeMicro(MicroLora micro, GateKeyState st, Flags flags, Decisions decisions,
            Collector<AdapterUpdate> out) throws Exception {
        Map<String, Double> metrics = new TreeMap<>();
        metrics.put(AdapterUpdate.METRIC_EVENTS_SEEN, (double) micro.eventsSeen());
        metrics.put(AdapterUpdate.METRIC_RECENT_CORRECTIONS, (double) st.correctionsSinceCandidate);
        AdapterUpdate.putMetric(metrics, AdapterUpdate.METRIC_MEAN_LOSS, st.meanLossSinceCandidate());
        metrics.put(AdapterUpdate.METRIC_TRAJECTORIES, (double) st.trajectories);
        AdapterUpdate.putMetric(metrics, AdapterUpdate.METRIC_MEAN_QUALITY, st.meanQuality());
        metrics.put(AdapterUpdate.METRIC_SERVED_WITH_BASE, (double) st.lineage(AdapterKind.BASE).published);
        AdapterUpdate candidate = AdapterUpdate.of(st.key, AdapterKind.MICRO, micro.flushes(),
                st.microCandidateFlushes, micro.adapter(), metrics, st.lastChangeTimestamp);
        st.markMicroCandidate(micro.flushes());
        microUpdatesCounter.inc();
        judge(candidate, st, flags, decisions, out);
    }

    /** Validates a candidate and promotes, holds, rejects or ignores it. */
    private void judge(AdapterUpdate candidate, GateKeyState st, Flags flags, Decisions decisions,
            Collector<AdapterUpdate> out) throws Exception {
        AdapterKind kind = candidate.kind();
        if (kind == AdapterKind.BASE && candidate.metrics().getOrDefault(BackgroundLoopOperator.METRIC_TASK_BOUNDARY, 0.0) > 0) {
            heldOut.endTask(currentKey, candidate.metrics().getOrDefault(BackgroundLoopOperator.METRIC_WINDOW_START,
                    Double.NEGATIVE_INFINITY), servedModel(st), st);
        }
        if (flags.paused()) {
            decide(decisions, candidate.key(), kind, candidate.version(), GateDecisionType.IGNORED, 0,
                    "learning is paused", Double.NaN, null, candidate.createdAt(), candidate.metrics());
            return;
        }
        // While pinned, a candidate competes with the held challenger: it is what PROMOTE would publish.
        AdapterUpdate challenger = flags.pinned() ? challengers.get(kind.name()) : null;
        ServedModel served = servedModel(st);
        ServedModel reference = challenger == null ? served : withKind(served, kind, challenger.toAdapter());
        ServedModel proposed = withKind(served, kind, candidate.toAdapter());
        List<ServedModelValidator.HeldOutSet> sets = heldOut.sets(currentKey);
        ServedModelValidator.Verdict verdict =
                new ServedModelValidator(flags.retention(), config.minHeldOut())
                        .validate(proposed, reference, sets, heldOut.losses(currentKey));
        Map<String, Double> numbers = new TreeMap<>(candidate.metrics());
        numbers.putAll(verdict.metrics());
        String against = challenger == null ? "served" : "challenger v" + challenger.version();
        if (!verdict.accepted()) {
            decide(decisions, candidate.key(), kind, candidate.version(), GateDecisionType.REJECTED, 0,
                    "against " + against + ": " + verdict.reason(), verdict.retention(), null, candidate.createdAt(),
                    numbers);
            fallBackIfWorseThanIdentity(kind, served, sets, st, flags, candidate, decisions, out);
            return;
        }
        AdapterUpdate validated = withMetrics(candidate, validationMetrics(candidate, verdict));
        if (flags.pinned()) {
            challengers.put(kind.name(), validated);
            String reason = "key is pinned at v" + st.lineage(kind).published
                    + (challenger == null ? "" : "; replaces challenger v" + challenger.version()) + "; "
                    + verdict.reason();
            decide(decisions, candidate.key(), kind, candidate.version(), GateDecisionType.HELD_AS_CHALLENGER, 0,
                    reason, verdict.retention(), null, candidate.createdAt(), numbers);
            return;
        }
        promote(validated, st, "against " + against + ": " + verdict.reason(), verdict.retention(), null,
                candidate.createdAt(), numbers, decisions, out);
    }

    /**
     * Never keeps a champion worse than both the candidate and the identity: when the served model
     * is measurably worse than no adapter on the recent set and the rejected candidate did not
     * beat it, the kind is rolled back to the identity if that serves better.
     */
    private void fallBackIfWorseThanIdentity(AdapterKind kind, ServedModel served,
            List<ServedModelValidator.HeldOutSet> sets, GateKeyState st, Flags flags, AdapterUpdate candidate,
            Decisions decisions, Collector<AdapterUpdate> out) throws Exception {
        if (st.lineage(kind).published == 0 || flags.pinned()) {
            return;
        }
        ServedModel identityForKind = withKind(served, kind, null);
        ServedModelValidator.Verdict fallback = new ServedModelValidator(flags.retention(), config.minHeldOut())
                .validate(identityForKind, served, sets, heldOut.losses(currentKey));
        ServedModelValidator.SetScore recent = fallback.recent();
        boolean servedWorseThanIdentity = recent.examples() >= config.minHeldOut() && recent.identityLoss() > 0
                && recent.currentLoss() > recent.identityLoss();
        if (servedWorseThanIdentity && fallback.accepted() && recent.candidateLoss() < recent.currentLoss()) {
            rollBack(kind, 0, st, candidate.key(), "fallback to identity: the served model is worse than no "
                    + kind + " adapter and the candidate does not beat it (" + fallback.reason() + ")", null,
                    candidate.createdAt(), decisions, out);
        }
    }

    // ---------------------------------------------------------------- watches

    /** Adds a held-out example to the held-out watch of each kind, concluding full ones. */
    private void watchHeldOut(Trajectory t, GateKeyState st, Flags flags, Decisions decisions,
            Collector<AdapterUpdate> out) throws Exception {
        for (AdapterKind kind : KINDS) {
            GateKeyState.Lineage lineage = st.lineage(kind);
            if (!lineage.watchingHeldOut()) {
                continue;
            }
            ServedModel served = servedModel(st);
            LoraAdapter previous = adapterAt(kind, lineage.heldOutWatchedVersion - 1);
            if (previous == null && lineage.heldOutWatchedVersion > 1) {
                lineage.stopWatchingHeldOut(); // the version before is no longer kept
                continue;
            }
            ServedModel alternative = withKind(served, kind, previous);
            float[] x = t.embedding();
            if (x.length != instant.dim()) {
                continue;
            }
            lineage.heldOutServedLoss += served.loss(x, t.target(), t.weight(), served.newWorkspace());
            lineage.heldOutAlternativeLoss += alternative.loss(x, t.target(), t.weight(), alternative.newWorkspace());
            lineage.heldOutIdentityLoss += ServedModel.IDENTITY.loss(x, t.target(), t.weight(),
                    ServedModel.IDENTITY.newWorkspace());
            lineage.heldOutWatchedCount++;
            if (lineage.heldOutWatchedCount >= config.autoRollbackHeldOut()) {
                concludeHeldOutWatch(kind, t, st, flags, decisions, out);
            }
        }
    }

    private void concludeHeldOutWatch(AdapterKind kind, Trajectory t, GateKeyState st, Flags flags,
            Decisions decisions, Collector<AdapterUpdate> out) throws Exception {
        GateKeyState.Lineage lineage = st.lineage(kind);
        long watched = lineage.heldOutWatchedVersion;
        long n = lineage.heldOutWatchedCount;
        double served = lineage.heldOutServedLoss / n;
        double alternative = lineage.heldOutAlternativeLoss / n;
        double identity = lineage.heldOutIdentityLoss / n;
        lineage.stopWatchingHeldOut();
        double fraction = flags.autoRollbackQuality();
        if (!(fraction > 0) || !(identity > 0) || !(served > alternative)) {
            return;
        }
        double qServed = 1 - served / identity;
        double qAlternative = 1 - alternative / identity;
        if (qAlternative > 0 && qServed >= fraction * qAlternative) {
            return;
        }
        String why = String.format(Locale.ROOT,
                "auto-rollback: on the %d held-out examples since v%d was promoted the served model's quality %.4f "
                        + "< %.4f x %.4f of v%d's (loss %.6g vs %.6g, identity %.6g)",
                n, watched, qServed, fraction, qAlternative, watched - 1, served, alternative, identity);
        autoRollBack(kind, watched, why, t, st, flags, decisions, out);
    }

    /** Feeds a comparable quality to the ring and to each kind's quality watch. */
    private void watchQuality(Trajectory t, GateKeyState st, Flags flags, Decisions decisions,
            Collector<AdapterUpdate> out) throws Exception {
        float quality = t.quality();
        int window = config.autoRollbackWindow();
        if (st.qualityCapacity != window) {
            dropSlotsFrom(recentQuality, window, st.qualityCapacity);
            st.qualityCapacity = window;
        }
        recentQuality.put((int) (st.qualitiesWritten % window), quality);
        st.qualitiesWritten++;
        for (AdapterKind kind : KINDS) {
            GateKeyState.Lineage lineage = st.lineage(kind);
            if (lineage.watching()) {
                lineage.watchedCount++;
                lineage.watchedQualitySum += quality;
                if (lineage.watchedCount >= window) {
                    concludeQualityWatch(kind, t, st, flags, decisions, out);
                }
            }
        }
    }

    private void concludeQualityWatch(AdapterKind kind, Trajectory t, GateKeyState st, Flags flags,
            Decisions decisions, Collector<AdapterUpdate> out) throws Exception {
        GateKeyState.Lineage lineage = st.lineage(kind);
        double mean = lineage.watchedQualitySum / lineage.watchedCount;
        double fraction = flags.autoRollbackQuality();
        long watched = lineage.watchedVersion;
        double baseline = lineage.baselineQuality;
        long count = lineage.watchedCount;
        lineage.stopWatching();
        if (!(mean < fraction * baseline)) {
            return;
        }
        String why = String.format(Locale.ROOT,
                "auto-rollback: mean quality %.4f of the %d trajectories since v%d was promoted < %.4f x %.4f "
                        + "before it",
                mean, count, watched, fraction, baseline);
        autoRollBack(kind, watched, why, t, st, flags, decisions, out);
    }

    private void autoRollBack(AdapterKind kind, long watched, String why, Trajectory t, GateKeyState st, Flags flags,
            Decisions decisions, Collector<AdapterUpdate> out) throws Exception {
        if (flags.pinned()) {
            decide(decisions, t.key(), kind, watched - 1, GateDecisionType.IGNORED, 0,
                    why + "; not rolled back because the key is pinned", Double.NaN, null, t.timestamp(), Map.of());
            return;
        }
        rollBack(kind, watched - 1, st, t.key(), why, null, t.timestamp(), decisions, out);
    }

    // ---------------------------------------------------------------- commands

    @Override
    public void processBroadcastElement(Control control, Context ctx, Collector<AdapterUpdate> out) throws Exception {
        Decisions decisions = d -> ctx.output(DECISIONS, d);
        String invalid = GateControls.invalidReason(control);
        if (invalid != null) {
            report(decisions, control, GateDecisionType.IGNORED, invalid);
            return;
        }
        String scope = GateControls.scope(control.key());
        switch (control.command()) {
            case PAUSE_LEARNING, RESUME_LEARNING -> {
                boolean paused = control.command() == ControlCommand.PAUSE_LEARNING;
                GateControls.set(ctx.getBroadcastState(FLAGS), GateControls.PAUSED, control.key(), paused);
                report(decisions, control, GateDecisionType.CONFIGURED,
                        "learning " + (paused ? "paused" : "resumed") + " for " + scope);
            }
            case PIN -> {
                if (control.key() == null || control.ahead()) {
                    // every key, or a key no task may have seen yet: a flag every task holds alike
                    GateControls.set(ctx.getBroadcastState(FLAGS), GateControls.PINNED, control.key(), true);
                    report(decisions, control, GateDecisionType.PINNED, "pinned " + scope
                            + (control.ahead() ? " ahead of its first event" : "")
                            + ": candidates that pass validation are held as challengers until PROMOTE or UNPIN");
                } else {
                    forTheKey(ctx, control, decisions, st -> pinKey(control, st, decisions, out));
                }
            }
            case UNPIN -> {
                GateControls.set(ctx.getBroadcastState(FLAGS), GateControls.PINNED, control.key(), false);
                forOwnedKeys(ctx, control, (key, st) -> st.pinned = false);
                report(decisions, control, GateDecisionType.CONFIGURED,
                        "unpinned " + scope + "; held challengers stay held until PROMOTE or replaced");
            }
            case SET_GOVERNOR -> {
                for (Map.Entry<String, Boolean> e : control.toggles().entrySet()) {
                    GateControls.set(ctx.getBroadcastState(FLAGS), GateControls.GOVERNOR_PREFIX + e.getKey(),
                            control.key(), e.getValue());
                }
                report(decisions, control, GateDecisionType.CONFIGURED,
                        "governor toggles " + control.toggles() + " set for " + scope);
            }
            case SET_THRESHOLDS -> {
                for (Map.Entry<String, Double> e : control.thresholds().entrySet()) {
                    GateControls.set(ctx.getBroadcastState(THRESHOLDS), e.getKey(), control.key(), e.getValue());
                }
                report(decisions, control, GateDecisionType.CONFIGURED,
                        "thresholds " + control.thresholds() + " set for " + scope);
            }
            case ROLLBACK -> forTheKey(ctx, control, decisions, st -> rollBackByCommand(control, st, decisions, out));
            case PROMOTE -> forTheKey(ctx, control, decisions, st -> promoteChallenger(control, st, decisions, out));
        }
    }

    /** What a command does to one key's state. */
    @FunctionalInterface
    private interface StateAction {
        void apply(GateKeyState st) throws Exception;
    }

    /**
     * Applies a command to its key (or to every key of this task without one); when no task has
     * seen the key, the task that would own it answers that, so the command is never met by
     * silence.
     */
    private void forTheKey(Context ctx, Control control, Decisions decisions, StateAction action) throws Exception {
        boolean[] found = {false};
        forOwnedKeys(ctx, control, (key, st) -> {
            found[0] = true;
            action.apply(st);
        });
        if (control.key() != null && !found[0] && ownsKey(control.key().asString())) {
            decide(decisions, control.key(), control.kind(), control.version(), GateDecisionType.IGNORED, 0,
                    "the gate has not seen key " + control.key() + ": nothing to "
                            + control.command().name().toLowerCase(java.util.Locale.ROOT)
                            + (control.command() == ControlCommand.PIN
                                    ? " (send it with \"scope\": \"ahead\" to pin a key before its first event)"
                                    : ""),
                    Double.NaN, control.id(), control.timestamp(), Map.of());
        }
    }

    /** Whether {@code key} belongs to this parallel task (as Flink assigns keys to key groups). */
    private boolean ownsKey(String key) {
        var task = getRuntimeContext().getTaskInfo();
        return org.apache.flink.runtime.state.KeyGroupRangeAssignment.assignKeyToParallelOperator(key,
                task.getMaxNumberOfParallelSubtasks(), task.getNumberOfParallelSubtasks())
                == task.getIndexOfThisSubtask();
    }

    /** Pins a seen key, at its champion or, given a version, at that published version. */
    private void pinKey(Control c, GateKeyState st, Decisions decisions, Collector<AdapterUpdate> out)
            throws Exception {
        if (c.version() > 0) {
            long published = st.lineage(c.kind()).published;
            boolean kept = c.version() == published || history.get(c.kind()).get(c.version()) != null;
            if (!kept) {
                decide(decisions, c.key(), c.kind(), c.version(), GateDecisionType.IGNORED, 0,
                        "pin to " + c.kind() + " v" + c.version() + " refused: " + (c.version() > published
                                ? "it has not been published (champion v" + published + ")"
                                : "it is no longer kept (the history holds the last " + config.historySize()
                                        + " versions)") + "; nothing pinned",
                        Double.NaN, c.id(), c.timestamp(), Map.of());
                return;
            }
        }
        st.pinned = true;
        decide(decisions, c.key(), c.kind(), c.version(), GateDecisionType.PINNED, 0, "pinned " + c.key()
                + (c.version() > 0 ? " at " + c.kind() + " v" + c.version() : "")
                + ": candidates that pass validation are held as challengers until PROMOTE or UNPIN (command "
                + c.id() + ")", Double.NaN, c.id(), c.timestamp(), Map.of());
        if (c.version() > 0) {
            pinTo(c, st, decisions, out);
        }
    }

    /** A per-key action of a command, run with the key's state current. */
    @FunctionalInterface
    private interface KeyAction {
        void apply(String key, GateKeyState st) throws Exception;
    }

    /** Runs {@code action} for every key of this task the command applies to, saving its state after. */
    private void forOwnedKeys(Context ctx, Control control, KeyAction action) throws Exception {
        String target = control.key() == null ? null : control.key().asString();
        ctx.applyToKeyedState(keysSeenDescriptor, (String key, ValueState<Boolean> seen) -> {
            if (target != null && !target.equals(key)) {
                return;
            }
            GateKeyState st = keyState.value();
            if (st == null) {
                return;
            }
            currentKey = key;
            action.apply(key, st);
            keyState.update(st);
        });
    }

    private void rollBackByCommand(Control c, GateKeyState st, Decisions decisions, Collector<AdapterUpdate> out)
            throws Exception {
        for (AdapterKind kind : kindsOf(c)) {
            long published = st.lineage(kind).published;
            if (published == 0 && (c.key() == null || c.kind() == null)) {
                continue; // a broad command passes over kinds that have nothing to roll back
            }
            long target = c.version() == 0 ? published - 1 : c.version();
            rollBack(kind, target, st, c.key(), "rollback by command " + c.id(), c.id(), c.timestamp(), decisions, out);
        }
    }

    private void pinTo(Control c, GateKeyState st, Decisions decisions, Collector<AdapterUpdate> out)
            throws Exception {
        if (st.lineage(c.kind()).published != c.version()) {
            rollBack(c.kind(), c.version(), st, c.key(), "pin to v" + c.version() + " by command " + c.id(), c.id(),
                    c.timestamp(), decisions, out);
        }
    }

    private void promoteChallenger(Control c, GateKeyState st, Decisions decisions, Collector<AdapterUpdate> out)
            throws Exception {
        boolean anyHeld = false;
        for (AdapterKind kind : kindsOf(c)) {
            AdapterUpdate challenger = challengers.get(kind.name());
            if (challenger == null) {
                continue;
            }
            anyHeld = true;
            if (c.version() != 0 && challenger.version() != c.version()) {
                decide(decisions, challenger.key(), kind, c.version(), GateDecisionType.IGNORED, 0,
                        "the held challenger is v" + challenger.version() + ", not v" + c.version(), Double.NaN,
                        c.id(), c.timestamp(), Map.of());
                continue;
            }
            Double retention = challenger.metrics().get(METRIC_RETENTION);
            promote(challenger, st, "challenger promoted by command " + c.id(),
                    retention == null ? Double.NaN : retention, c.id(), c.timestamp(), challenger.metrics(),
                    decisions, out);
        }
        if (!anyHeld && c.key() != null) {
            decide(decisions, c.key(), c.kind(), c.version(), GateDecisionType.IGNORED, 0,
                    "no challenger is held" + (c.kind() == null ? "" : " for " + c.kind()), Double.NaN, c.id(),
                    c.timestamp(), Map.of());
        }
    }

    private static AdapterKind[] kindsOf(Control c) {
        return c.kind() == null ? KINDS : new AdapterKind[] {c.kind()};
    }

    // ---------------------------------------------------------------- publishing

    /**
     * Publishes {@code candidate} (numbered by its learner) as its kind's next version; the
     * decision carries {@code timestamp}, the time of the event that caused the promotion.
     */
    private void promote(AdapterUpdate candidate, GateKeyState st, String reason, double retention, String controlId,
            long timestamp, Map<String, Double> numbers, Decisions decisions, Collector<AdapterUpdate> out)
            throws Exception {
        AdapterKind kind = candidate.kind();
        GateKeyState.Lineage lineage = st.lineage(kind);
        long version = lineage.published + 1;
        Map<String, Double> metrics = new TreeMap<>(candidate.metrics());
        if (kind == AdapterKind.MICRO) {
            metrics.put(AdapterUpdate.METRIC_SERVED_WITH_BASE, (double) st.lineage(AdapterKind.BASE).published);
        }
        publish(new AdapterUpdate(candidate.key(), kind, version, lineage.published, candidate.rank(),
                candidate.layers(), candidate.alpha(), candidate.weights(), metrics, candidate.createdAt()), st, out);
        challengers.remove(kind.name());
        String watch;
        if (lineage.watching()) {
            watch = "quality is already watched since v" + lineage.watchedVersion;
        } else {
            double baseline = qualityBaseline();
            if (Double.isNaN(baseline)) {
                watch = "quality not watched: fewer than " + config.autoRollbackWindow()
                        + " comparable trajectories before it";
            } else {
                lineage.watch(version, baseline);
                watch = String.format(Locale.ROOT, "quality watched against %.4f over the last %d trajectories",
                        baseline, config.autoRollbackWindow());
            }
        }
        if (!lineage.watchingHeldOut()) {
            lineage.watchHeldOut(version);
        }
        decide(decisions, candidate.key(), kind, candidate.version(), GateDecisionType.PROMOTED, version,
                reason + "; " + watch, retention, controlId, timestamp, numbers);
        if (kind == AdapterKind.BASE) {
            rebaseMicro(st, candidate.key(), timestamp, decisions, out);
        }
    }

    /**
     * Publishes the weights of {@code target} (0: the identity adapter) again as the kind's next
     * version, or reports why it cannot.
     */
    private void rollBack(AdapterKind kind, long target, GateKeyState st, AdapterKey knownKey, String reason,
            String controlId, long timestamp, Decisions decisions, Collector<AdapterUpdate> out) throws Exception {
        GateKeyState.Lineage lineage = st.lineage(kind);
        long current = lineage.published;
        AdapterUpdate champion = current == 0 ? null : history.get(kind).get(current);
        AdapterKey key = champion != null ? champion.key() : knownKey;
        String refusal = null;
        AdapterUpdate source = null;
        if (champion == null) {
            refusal = "no " + kind + " version has been published";
        } else if (target == current) {
            refusal = "v" + target + " is already the champion";
        } else if (target > current) {
            refusal = "v" + target + " has not been published (champion v" + current + ")";
        } else {
            source = target == 0 ? identityLike(champion) : history.get(kind).get(target);
            if (source == null) {
                refusal = "v" + target + " is no longer kept: the history holds the last " + config.historySize()
                        + " versions";
            }
        }
        if (refusal != null) {
            decide(decisions, key, kind, target, GateDecisionType.IGNORED, 0, reason + "; " + refusal, Double.NaN,
                    controlId, timestamp, Map.of());
            return;
        }
        Map<String, Double> metrics = new TreeMap<>(source.metrics());
        metrics.put(METRIC_ROLLED_BACK_TO, (double) target);
        long version = current + 1;
        publish(new AdapterUpdate(champion.key(), kind, version, current, source.rank(), source.layers(),
                source.alpha(), source.weights(), metrics, timestamp), st, out);
        lineage.stopWatching();
        lineage.stopWatchingHeldOut();
        decide(decisions, key, kind, target, GateDecisionType.ROLLED_BACK, version,
                reason + "; v" + target + (target == 0 ? " (identity)" : "") + " republished as v" + version
                        + " over v" + current,
                Double.NaN, controlId, timestamp, Map.of());
        if (kind == AdapterKind.BASE) {
            rebaseMicro(st, champion.key(), timestamp, decisions, out);
        }
    }

    /**
     * The served BaseLoRA changed: the MicroLoRA, a residual on top of the old one, restarts from
     * the identity ({@link InstantLoop#rebase}); a published MicroLoRA lineage gets the reset as
     * its next version, tagged with the new base, and a held MicroLoRA challenger (judged on the
     * old base) is dropped.
     */
    private void rebaseMicro(GateKeyState st, AdapterKey key, long timestamp, Decisions decisions,
            Collector<AdapterUpdate> out) throws Exception {
        MicroLora micro = microState.value();
        long base = st.lineage(AdapterKind.BASE).published;
        challengers.remove(AdapterKind.MICRO.name());
        if (micro == null) {
            return;
        }
        InstantLoop.rebase(micro);
        microState.update(micro);
        st.markMicroCandidate(micro.flushes());
        GateKeyState.Lineage lineage = st.lineage(AdapterKind.MICRO);
        if (lineage.published == 0) {
            return;
        }
        long version = lineage.published + 1;
        publish(AdapterUpdate.of(key, AdapterKind.MICRO, version, lineage.published, micro.adapter(),
                Map.of(AdapterUpdate.METRIC_SERVED_WITH_BASE, (double) base), timestamp), st, out);
        lineage.stopWatching();
        lineage.stopWatchingHeldOut();
        decide(decisions, key, AdapterKind.MICRO, micro.flushes(), GateDecisionType.REBASED, version,
                "base v" + base + " is served now: MicroLoRA restarts from the identity on top of it", Double.NaN,
                null, timestamp, Map.of());
    }

    /** Records {@code update} as its kind's newest version, forgets the oldest, and emits it. */
    private void publish(AdapterUpdate update, GateKeyState st, Collector<AdapterUpdate> out) throws Exception {
        MapState<Long, AdapterUpdate> versions = history.get(update.kind());
        long previous = st.lineage(update.kind()).published;
        versions.put(update.version(), update);
        long oldestKept = update.version() - config.historySize() + 1;
        // Versions are published one after the other, so the ones that leave the history now are
        // those between the previous window and this one. Listing the map instead, on every
        // version, cost RocksDB a walk over the tombstones of every version removed since the last
        // compaction; it is done every historySize versions only, for what a smaller history size
        // than the one the state was written with leaves behind.
        if (update.version() % config.historySize() == 0) {
            List<Long> expired = new ArrayList<>(1);
            for (Long v : versions.keys()) {
                if (v < oldestKept) {
                    expired.add(v);
                }
            }
            for (Long v : expired) {
                versions.remove(v);
            }
        } else {
            for (long v = Math.max(1, previous - config.historySize() + 1); v < oldestKept; v++) {
                versions.remove(v);
            }
        }
        st.lineage(update.kind()).published = update.version();
        if (update.kind() == AdapterKind.MICRO) {
            Long first = firstUnpublishedCorrection.remove(currentKey);
            if (first != null) {
                correctionToPublished.update(Math.max(0, System.currentTimeMillis() - first));
            }
        }
        out.collect(update);
    }

    // ---------------------------------------------------------------- served model

    /** The champion of {@code kind}, prepared, or null when none is published. */
    private LoraAdapter champion(AdapterKind kind, GateKeyState st) throws Exception {
        return adapterAt(kind, st.lineage(kind).published);
    }

    /** The published {@code version} of {@code kind} (0 or no longer kept: null). */
    private LoraAdapter adapterAt(AdapterKind kind, long version) throws Exception {
        Published published = publishedAt(kind, version);
        return published == null ? null : published.adapter();
    }

    /** A published version as serving needs it: the adapter, and the base version it was learned on. */
    private record Published(LoraAdapter adapter, long servedWithBase) {}

    /**
     * The published {@code version} of {@code kind}, from the heap when it was read recently (a
     * version is immutable once published), else from the history (0 or no longer kept: null).
     */
    private Published publishedAt(AdapterKind kind, long version) throws Exception {
        if (version <= 0) {
            return null;
        }
        String slot = currentKey + '#' + kind.name() + '#' + version;
        Published cached = championCache.get(slot);
        if (cached == null) {
            AdapterUpdate update = history.get(kind).get(version);
            if (update == null) {
                return null;
            }
            cached = new Published(update.toAdapter(), update.servedWithBase());
            championCache.put(slot, cached);
        }
        return cached;
    }

    /** What is served for the current key: the champion base, and the champion micro learned on it. */
    private ServedModel servedModel(GateKeyState st) throws Exception {
        long base = st.lineage(AdapterKind.BASE).published;
        Published micro = publishedAt(AdapterKind.MICRO, st.lineage(AdapterKind.MICRO).published);
        boolean microServed = micro != null && micro.servedWithBase() == base;
        return new ServedModel(champion(AdapterKind.BASE, st), microServed ? micro.adapter() : null);
    }

    /** {@code served} with {@code kind}'s adapter replaced (null: the identity); a new base drops the micro. */
    private static ServedModel withKind(ServedModel served, AdapterKind kind, LoraAdapter adapter) {
        return switch (kind) {
            case MICRO -> served.withMicro(adapter);
            case BASE -> new ServedModel(adapter, null);
        };
    }

    // ---------------------------------------------------------------- helpers

    /** Mean of the quality ring when it is full, else NaN. */
    private double qualityBaseline() throws Exception {
        int window = config.autoRollbackWindow();
        double sum = 0;
        int n = 0;
        for (Map.Entry<Integer, Float> e : recentQuality.entries()) {
            if (e.getKey() < window) {
                sum += e.getValue();
                n++;
            }
        }
        return n < window ? Double.NaN : sum / n;
    }

    /** Removes the slots {@code >= capacity} of a ring that was written with {@code previousCapacity}. */
    static <V> void dropSlotsFrom(MapState<Integer, V> ring, int capacity, int previousCapacity)
            throws Exception {
        if (previousCapacity <= capacity) {
            return;
        }
        List<Integer> stale = new ArrayList<>();
        for (Integer slot : ring.keys()) {
            if (slot >= capacity) {
                stale.add(slot);
            }
        }
        for (Integer slot : stale) {
            ring.remove(slot);
        }
    }

    /** The identity adapter in {@code like}'s shape: its {@code A}, a zero {@code B}. */
    private static AdapterUpdate identityLike(AdapterUpdate like) {
        float[][] weights = new float[like.weights().length][];
        int rank = like.rank();
        for (int row = 0; row < weights.length; row++) {
            boolean isB = row % (2 * rank) >= rank;
            weights[row] = isB ? new float[like.dim()] : like.weights()[row].clone();
        }
        return new AdapterUpdate(like.key(), like.kind(), 1, 0, rank, like.layers(), like.alpha(), weights, Map.of(),
                like.createdAt());
    }

    private static Map<String, Double> validationMetrics(AdapterUpdate candidate, ServedModelValidator.Verdict v) {
        Map<String, Double> metrics = new TreeMap<>();
        ServedModelValidator.SetScore recent = v.recent();
        metrics.put(METRIC_LEARNER_VERSION, (double) candidate.version());
        metrics.put(METRIC_HELD_OUT, (double) recent.examples());
        metrics.put(METRIC_LOSS, recent.candidateLoss());
        metrics.put(METRIC_IDENTITY_LOSS, recent.identityLoss());
        AdapterUpdate.putMetric(metrics, METRIC_QUALITY, recent.candidateQuality());
        AdapterUpdate.putMetric(metrics, METRIC_RETENTION, recent.retention());
        return metrics;
    }

    private static AdapterUpdate withMetrics(AdapterUpdate u, Map<String, Double> extra) {
        Map<String, Double> metrics = new TreeMap<>(u.metrics());
        metrics.putAll(extra);
        return new AdapterUpdate(u.key(), u.kind(), u.version(), u.parentVersion(), u.rank(), u.layers(), u.alpha(),
                u.weights(), metrics, u.createdAt());
    }

    /** The key's settings as the broadcast state holds them now. */
    private record Flags(String key, boolean paused, boolean pinned, double retention, double autoRollbackQuality) {}

    private Flags flagsOf(ReadOnlyContext ctx, String key, GateKeyState st) throws Exception {
        var flags = ctx.getBroadcastState(FLAGS);
        var thresholds = ctx.getBroadcastState(THRESHOLDS);
        return new Flags(key, GateControls.flag(flags, GateControls.PAUSED, key),
                st.pinned || GateControls.flag(flags, GateControls.PINNED, key),
                GateControls.threshold(thresholds, Control.THRESHOLD_RETENTION, key, config.retention()),
                GateControls.threshold(thresholds, Control.THRESHOLD_AUTO_ROLLBACK_QUALITY, key,
                        config.autoRollbackQuality()));
    }

    /**
     * The seed of {@code key}'s initial MicroLoRA: a mix of the configured seed and a 64-bit FNV-1a
     * hash of the key's characters, the same on every JVM and every run.
     */
    static long adapterSeed(long seed, String key) {
        return DeterministicRandom.mix(seed ^ DeterministicRandom.mix(DeterministicRandom.hash(key)));
    }

    /** Where decisions go: the side output of whichever context is current. */
    @FunctionalInterface
    private interface Decisions {
        void emit(GateDecision decision);
    }

    private void decide(Decisions decisions, AdapterKey key, AdapterKind kind, long candidateVersion,
            GateDecisionType type, long publishedVersion, String reason, double retention, String controlId,
            long timestamp, Map<String, Double> numbers) {
        decisionCounters.get(type).inc();
        decisions.emit(new GateDecision(key, kind, candidateVersion, type, publishedVersion, reason, retention,
                controlId, timestamp, numbers));
    }

    /**
     * Reports a command's effect on the settings. Every task applies a command, task 0 alone
     * reports it; the keyed parts of a command report from the tasks that own the keys.
     */
    private void report(Decisions decisions, Control c, GateDecisionType type, String reason) {
        if (reportsCommands) {
            decide(decisions, c.key(), c.kind(), c.version(), type, 0, reason + " (command " + c.id() + ")",
                    Double.NaN, c.id(), c.timestamp(), Map.of());
        }
    }
}
