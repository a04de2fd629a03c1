package io.sonaflink.operators.gate;

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
import io.sonaflink.state.lora.LoraAdapter;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The adapter gate (architecture §4): candidate adapters from the learning loops are validated
 * against each key's champion on recent held-out trajectories, versioned, and published; operators
 * steer it with broadcast {@link Control} commands; a promotion after which quality drops is
 * rolled back automatically (seed 001's quality gate, registry and rollback; seed 003's
 * champion/challenger and governor toggles).
 *
 * <p>Input, keyed by {@link AdapterKey#asString()} ({@link InputKey}): trajectories ({@code Left})
 * and candidate adapter updates ({@code Right}), with {@link #INPUT_TYPE}. Output: the published
 * adapter updates, whose versions the gate assigns: per key and kind 1, 2, 3, ... with the previous
 * published version as parent, never duplicated and never skipped, so the serving tier can apply
 * "only if newer". Every decision, with its reason, goes to {@link #DECISIONS}.
 *
 * <ul>
 *   <li>Trajectories with a target fill a ring of the key's last {@code heldOutSize}; every
 *       trajectory's quality fills a ring of the last {@code autoRollbackWindow}. Both are map
 *       states indexed by slot, so an event costs O(1) on RocksDB.
 *   <li>A candidate of kind K is checked by {@link CandidateValidator} against K's champion. If it
 *       passes it is published as K's next version, or, while the key is pinned, held as K's
 *       challenger until a {@link ControlCommand#PROMOTE} (a later candidate replaces the held
 *       challenger only if it passes against it). While learning is paused, candidates
 *       are ignored (the gate keeps collecting held-out data and watching quality).
 *   <li>The last {@code historySize} published versions of each kind are kept. A rollback
 *       publishes an older version's weights again under a new version (version 0 is the identity
 *       adapter), so consumers that only move forward still switch.
 *   <li>A promotion is watched when the quality ring was full at promotion time: when the mean
 *       quality of the next {@code autoRollbackWindow} trajectories falls below {@code
 *       autoRollbackQuality} times the ring's mean, the kind is rolled back to the version before
 *       the watched promotion. Promotions while a watch runs do not restart it, so frequent small
 *       promotions cannot hide a drift; a rollback ends it. A pinned key is not rolled back
 *       automatically (its operator has taken over); the decision says so.
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

    private static final long serialVersionUID = 1L;

    /** Every decision of the gate, for candidates, commands and automatic rollbacks. */
    public static final OutputTag<GateDecision> DECISIONS = new OutputTag<>("gate-decisions", GateDecisionCodec.TYPE);

    /** Type of the gate's input: trajectories or candidate adapters, with the events' own codecs. */
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
    /** Metric added to published updates: held-out examples the candidate was validated on. */
    public static final String METRIC_HELD_OUT = "gate.heldOut";
    /** Metric added to published updates: mean held-out loss of the candidate. */
    public static final String METRIC_LOSS = "gate.loss";
    /** Metric added to published updates: mean held-out loss of the identity adapter. */
    public static final String METRIC_IDENTITY_LOSS = "gate.identityLoss";
    /** Metric added to published updates: {@code 1 - loss / identity loss}. */
    public static final String METRIC_QUALITY = "gate.quality";
    /**
     * Metric added to published updates: retention against what the candidate was validated
     * against (the champion, or while pinned the held challenger), when that was the criterion.
     */
    public static final String METRIC_RETENTION = "gate.retention";
    /** Metric added to rollbacks: the version whose weights they carry (0: identity). */
    public static final String METRIC_ROLLED_BACK_TO = "gate.rolledBackTo";

    static final String STATE_KEY = "gate-key";
    static final String STATE_KEYS_SEEN = "gate-keys-seen";
    static final String STATE_HELD_OUT = "held-out";
    static final String STATE_RECENT_QUALITY = "recent-quality";
    static final String STATE_CHALLENGERS = "challengers";

    private static final AdapterKind[] KINDS = AdapterKind.values();

    private final AdapterGateConfig config;

    private transient ValueState<GateKeyState> keyState;
    /** Written once per key and never changed: the state {@code applyToKeyedState} iterates. */
    private transient ValueStateDescriptor<Boolean> keysSeenDescriptor;
    private transient ValueState<Boolean> keysSeen;
    private transient MapState<Integer, Trajectory> heldOut;
    private transient MapState<Integer, Float> recentQuality;
    private transient EnumMap<AdapterKind, MapState<Long, AdapterUpdate>> history;
    private transient MapState<String, AdapterUpdate> challengers;
    private transient EnumMap<GateDecisionType, Counter> decisionCounters;
    private transient boolean reportsCommands;

    public AdapterGateFunction(AdapterGateConfig config) {
        this.config = config;
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

    @Override
    public void open(OpenContext openContext) {
        keyState = getRuntimeContext().getState(new ValueStateDescriptor<>(STATE_KEY, GateKeyStateCodec.TYPE));
        keysSeenDescriptor = new ValueStateDescriptor<>(STATE_KEYS_SEEN, Types.BOOLEAN);
        keysSeen = getRuntimeContext().getState(keysSeenDescriptor);
        heldOut = getRuntimeContext().getMapState(
                new MapStateDescriptor<>(STATE_HELD_OUT, Types.INT, EventCodecs.TRAJECTORY));
        recentQuality = getRuntimeContext().getMapState(
                new MapStateDescriptor<>(STATE_RECENT_QUALITY, Types.INT, Types.FLOAT));
        history = new EnumMap<>(AdapterKind.class);
        for (AdapterKind kind : KINDS) {
            history.put(kind, getRuntimeContext().getMapState(
                    new MapStateDescriptor<>(historyStateName(kind), Types.LONG, AdapterUpdateCodec.TYPE)));
        }
        challengers = getRuntimeContext().getMapState(
                new MapStateDescriptor<>(STATE_CHALLENGERS, Types.STRING, AdapterUpdateCodec.TYPE));
        decisionCounters = new EnumMap<>(GateDecisionType.class);
        for (GateDecisionType type : GateDecisionType.values()) {
            decisionCounters.put(type, getRuntimeContext().getMetricGroup().counter(decisionCounter(type)));
        }
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
        if (value.isLeft()) {
            observe(value.left(), st, ctx, out);
        } else {
            judge(value.right(), st, ctx, out);
        }
        keyState.update(st);
    }

    /** Feeds the held-out and quality rings, and the watches over recent promotions. */
    private void observe(Trajectory t, GateKeyState st, ReadOnlyContext ctx, Collector<AdapterUpdate> out)
            throws Exception {
        if (t.hasTarget()) {
            int capacity = config.heldOutSize();
            if (st.heldOutCapacity != capacity) {
                dropSlotsFrom(heldOut, capacity, st.heldOutCapacity);
                st.heldOutCapacity = capacity;
            }
            heldOut.put((int) (st.heldOutWritten % capacity), t);
            st.heldOutWritten++;
        }
        float quality = t.quality();
        if (!Float.isFinite(quality)) {
            return;
        }
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
                    concludeWatch(kind, t, st, ctx, out);
                }
            }
        }
    }

    /** Ends the watch over {@code kind}'s last promotion, rolling it back if quality dropped. */
    private void concludeWatch(AdapterKind kind, Trajectory t, GateKeyState st, ReadOnlyContext ctx,
            Collector<AdapterUpdate> out) throws Exception {
        GateKeyState.Lineage lineage = st.lineage(kind);
        String key = t.key().asString();
        double mean = lineage.watchedQualitySum / lineage.watchedCount;
        double fraction = GateControls.threshold(ctx.getBroadcastState(THRESHOLDS),
                Control.THRESHOLD_AUTO_ROLLBACK_QUALITY, key, config.autoRollbackQuality());
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
        Decisions decisions = d -> ctx.output(DECISIONS, d);
        if (GateControls.flag(ctx.getBroadcastState(FLAGS), GateControls.PINNED, key)) {
            decide(decisions, t.key(), kind, watched - 1, GateDecisionType.IGNORED, 0,
                    why + "; not rolled back because the key is pinned", Double.NaN, null, t.timestamp());
            return;
        }
        rollBack(kind, watched - 1, st, t.key(), why, null, t.timestamp(), decisions, out);
    }

    /** Validates a candidate and promotes, holds, rejects or ignores it. */
    private void judge(AdapterUpdate candidate, GateKeyState st, ReadOnlyContext ctx, Collector<AdapterUpdate> out)
            throws Exception {
        String key = ctx.getCurrentKey();
        AdapterKind kind = candidate.kind();
        GateKeyState.Lineage lineage = st.lineage(kind);
        Decisions decisions = d -> ctx.output(DECISIONS, d);
        if (GateControls.flag(ctx.getBroadcastState(FLAGS), GateControls.PAUSED, key)) {
            decide(decisions, candidate.key(), kind, candidate.version(), GateDecisionType.IGNORED, 0,
                    "learning is paused", Double.NaN, null, candidate.createdAt());
            return;
        }
        double retention = GateControls.threshold(ctx.getBroadcastState(THRESHOLDS), Control.THRESHOLD_RETENTION, key,
                config.retention());
        boolean pinned = GateControls.flag(ctx.getBroadcastState(FLAGS), GateControls.PINNED, key);
        // While pinned, a candidate competes with the held challenger: it is what PROMOTE would publish.
        AdapterUpdate challenger = pinned ? challengers.get(kind.name()) : null;
        AdapterUpdate reference;
        String referenceName;
        if (challenger != null) {
            reference = challenger;
            referenceName = "challenger v" + challenger.version();
        } else {
            reference = lineage.published == 0 ? null : history.get(kind).get(lineage.published);
            referenceName = "champion v" + lineage.published;
        }
        CandidateValidator.Verdict verdict = new CandidateValidator(retention, config.minHeldOut()).validate(
                heldOutExamples(), view(candidate), reference == null ? null : view(reference), referenceName);
        if (!verdict.accepted()) {
            decide(decisions, candidate.key(), kind, candidate.version(), GateDecisionType.REJECTED, 0,
                    verdict.reason(), verdict.retention(), null, candidate.createdAt());
            return;
        }
        AdapterUpdate validated = withMetrics(candidate, validationMetrics(candidate, verdict));
        if (pinned) {
            challengers.put(kind.name(), validated);
            String reason = "key is pinned at v" + lineage.published
                    + (challenger == null ? "" : "; replaces challenger v" + challenger.version()) + "; "
                    + verdict.reason();
            decide(decisions, candidate.key(), kind, candidate.version(), GateDecisionType.HELD_AS_CHALLENGER, 0,
                    reason, verdict.retention(), null, candidate.createdAt());
            return;
        }
        promote(validated, st, verdict.reason(), verdict.retention(), null, candidate.createdAt(), decisions, out);
    }

    // ---------------------------------------------------------------- commands

    @Override
    public void processBroadcastElement(Control control, Context ctx, Collector<AdapterUpdate> out) throws Exception {
        Decisions decisions = d -> ctx.output(DECISIONS, d);
        String invalid = invalidReason(control);
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
                GateControls.set(ctx.getBroadcastState(FLAGS), GateControls.PINNED, control.key(), true);
                report(decisions, control, GateDecisionType.PINNED, "pinned " + scope
                        + (control.version() > 0 ? " at " + control.kind() + " v" + control.version() : "")
                        + ": candidates that pass validation are held as challengers until PROMOTE or UNPIN");
                if (control.version() > 0) {
                    forOwnedKeys(ctx, control, (key, st) -> pinTo(control, st, decisions, out));
                }
            }
            case UNPIN -> {
                GateControls.set(ctx.getBroadcastState(FLAGS), GateControls.PINNED, control.key(), false);
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
            case ROLLBACK -> forOwnedKeys(ctx, control, (key, st) -> rollBackByCommand(control, st, decisions, out));
            case PROMOTE -> forOwnedKeys(ctx, control, (key, st) -> promoteChallenger(control, st, decisions, out));
        }
    }

    /** Why {@code c} cannot be applied, or null when it can. */
    static String invalidReason(Control c) {
        switch (c.command()) {
            case ROLLBACK, PROMOTE:
                if (c.version() > 0 && c.kind() == null) {
                    return c.command() + " of a specific version needs a kind: versions are numbered per key and kind";
                }
                return null;
            case PIN:
                if (c.version() > 0 && (c.kind() == null || c.key() == null)) {
                    return "PIN of a specific version needs a key and a kind";
                }
                return null;
            case SET_GOVERNOR:
                return c.toggles().isEmpty() ? "SET_GOVERNOR without toggles" : null;
            case SET_THRESHOLDS:
                if (c.thresholds().isEmpty()) {
                    return "SET_THRESHOLDS without thresholds";
                }
                for (Map.Entry<String, Double> e : c.thresholds().entrySet()) {
                    try {
                        if (Control.THRESHOLD_RETENTION.equals(e.getKey())) {
                            AdapterGateConfig.checkRetention(e.getValue());
                        } else if (Control.THRESHOLD_AUTO_ROLLBACK_QUALITY.equals(e.getKey())) {
                            AdapterGateConfig.checkAutoRollbackQuality(e.getValue());
                        } else {
                            return "unknown threshold '" + e.getKey() + "' (known: " + Control.THRESHOLD_RETENTION
                                    + ", " + Control.THRESHOLD_AUTO_ROLLBACK_QUALITY + ")";
                        }
                    } catch (IllegalArgumentException invalid) {
                        return invalid.getMessage();
                    }
                }
                return null;
            default:
                return null;
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
                        c.id(), c.timestamp());
                continue;
            }
            Double retention = challenger.metrics().get(METRIC_RETENTION);
            promote(challenger, st, "challenger promoted by command " + c.id(),
                    retention == null ? Double.NaN : retention, c.id(), c.timestamp(), decisions, out);
        }
        if (!anyHeld && c.key() != null) {
            decide(decisions, c.key(), c.kind(), c.version(), GateDecisionType.IGNORED, 0,
                    "no challenger is held" + (c.kind() == null ? "" : " for " + c.kind()), Double.NaN, c.id(),
                    c.timestamp());
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
            long timestamp, Decisions decisions, Collector<AdapterUpdate> out) throws Exception {
        AdapterKind kind = candidate.kind();
        GateKeyState.Lineage lineage = st.lineage(kind);
        long version = lineage.published + 1;
        publish(new AdapterUpdate(candidate.key(), kind, version, lineage.published, candidate.rank(),
                candidate.layers(), candidate.alpha(), candidate.weights(), candidate.metrics(),
                candidate.createdAt()), st, out);
        challengers.remove(kind.name());
        String watch;
        if (lineage.watching()) {
            watch = "quality is already watched since v" + lineage.watchedVersion;
        } else {
            double baseline = qualityBaseline();
            if (Double.isNaN(baseline)) {
                watch = "not watched for a quality drop: fewer than " + config.autoRollbackWindow()
                        + " trajectories before it";
            } else {
                lineage.watch(version, baseline);
                watch = String.format(Locale.ROOT, "quality watched against %.4f over the last %d trajectories",
                        baseline, config.autoRollbackWindow());
            }
        }
        decide(decisions, candidate.key(), kind, candidate.version(), GateDecisionType.PROMOTED, version,
                reason + "; " + watch, retention, controlId, timestamp);
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
                    controlId, timestamp);
            return;
        }
        Map<String, Double> metrics = new TreeMap<>(source.metrics());
        metrics.put(METRIC_ROLLED_BACK_TO, (double) target);
        long version = current + 1;
        publish(new AdapterUpdate(champion.key(), kind, version, current, source.rank(), source.layers(),
                source.alpha(), source.weights(), metrics, timestamp), st, out);
        lineage.stopWatching();
        decide(decisions, key, kind, target, GateDecisionType.ROLLED_BACK, version,
                reason + "; v" + target + (target == 0 ? " (identity)" : "") + " republished as v" + version
                        + " over v" + current,
                Double.NaN, controlId, timestamp);
    }

    /** Records {@code update} as its kind's newest version, forgets the oldest, and emits it. */
    private void publish(AdapterUpdate update, GateKeyState st, Collector<AdapterUpdate> out) throws Exception {
        MapState<Long, AdapterUpdate> versions = history.get(update.kind());
        versions.put(update.version(), update);
        long oldestKept = update.version() - config.historySize() + 1;
        List<Long> expired = new ArrayList<>(1);
        for (Long v : versions.keys()) {
            if (v < oldestKept) {
                expired.add(v);
            }
        }
        for (Long v : expired) {
            versions.remove(v);
        }
        st.lineage(update.kind()).published = update.version();
        out.collect(update);
    }

    // ---------------------------------------------------------------- helpers

    /** The held-out ring's trajectories. */
    private List<Trajectory> heldOutExamples() throws Exception {
        List<Trajectory> examples = new ArrayList<>(config.heldOutSize());
        for (Map.Entry<Integer, Trajectory> e : heldOut.entries()) {
            if (e.getKey() < config.heldOutSize()) {
                examples.add(e.getValue());
            }
        }
        return examples;
    }

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
    private static <V> void dropSlotsFrom(MapState<Integer, V> ring, int capacity, int previousCapacity)
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

    /** A read-only adapter on the update's weights (no copy: neither side mutates them). */
    private static LoraAdapter view(AdapterUpdate u) {
        return new LoraAdapter(u.dim(), u.rank(), u.layers(), u.alpha(), u.weights());
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

    private static Map<String, Double> validationMetrics(AdapterUpdate candidate, CandidateValidator.Verdict v) {
        Map<String, Double> metrics = new TreeMap<>();
        metrics.put(METRIC_LEARNER_VERSION, (double) candidate.version());
        metrics.put(METRIC_HELD_OUT, (double) v.examples());
        metrics.put(METRIC_LOSS, v.candidateLoss());
        metrics.put(METRIC_IDENTITY_LOSS, v.identityLoss());
        if (!Double.isNaN(v.candidateQuality())) {
            metrics.put(METRIC_QUALITY, v.candidateQuality());
        }
        if (!Double.isNaN(v.retention())) {
            metrics.put(METRIC_RETENTION, v.retention());
        }
        return metrics;
    }

    private static AdapterUpdate withMetrics(AdapterUpdate u, Map<String, Double> extra) {
        Map<String, Double> metrics = new TreeMap<>(u.metrics());
        metrics.putAll(extra);
        return new AdapterUpdate(u.key(), u.kind(), u.version(), u.parentVersion(), u.rank(), u.layers(), u.alpha(),
                u.weights(), metrics, u.createdAt());
    }

    /** Where decisions go: the side output of whichever context is current. */
    @FunctionalInterface
    private interface Decisions {
        void emit(GateDecision decision);
    }

    private void decide(Decisions decisions, AdapterKey key, AdapterKind kind, long candidateVersion,
            GateDecisionType type, long publishedVersion, String reason, double retention, String controlId,
            long timestamp) {
        decisionCounters.get(type).inc();
        decisions.emit(new GateDecision(key, kind, candidateVersion, type, publishedVersion, reason, retention,
                controlId, timestamp));
    }

    /**
     * Reports a command's effect on the settings. Every task applies a command, task 0 alone
     * reports it; the keyed parts of a command report from the tasks that own the keys.
     */
    private void report(Decisions decisions, Control c, GateDecisionType type, String reason) {
        if (reportsCommands) {
            decide(decisions, c.key(), c.kind(), c.version(), type, 0, reason + " (command " + c.id() + ")",
                    Double.NaN, c.id(), c.timestamp());
        }
    }
}
