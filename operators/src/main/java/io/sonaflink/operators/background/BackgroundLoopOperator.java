package io.sonaflink.operators.background;

import io.sonaflink.operators.bundle.StateBundle;
import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.events.SkillMap;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.state.bank.MergeReport;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.cycle.BackgroundLearner;
import io.sonaflink.state.cycle.CycleReport;
import io.sonaflink.state.lora.BaseLora;
import io.sonaflink.state.lora.TrainingReport;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.sample.ReservoirSampler;
import io.sonaflink.state.sample.TrajectorySample;
import io.sonaflink.state.serialization.StateSerializers;

import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.base.IntSerializer;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.types.Either;
import org.apache.flink.util.OutputTag;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The background loop, keyed by adapter key and chained to the feedback join on the same
 * partitioning: a processing-time tumbling window (with a phase of its own per key) collects a
 * uniform reservoir (Algorithm R, {@link ReservoirSampler#replacementSlot}) of at most {@code
 * maxTrajectories} settled trajectories; when it fires, one learning cycle runs ({@link
 * BackgroundLearner#runCycle}: quality filter, k-means++, ReasoningBank merge, BaseLoRA with
 * EWC++) and the key's candidate adapter goes to the main output ({@code Right}), its pattern
 * snapshot and skill map to side outputs. The main output is the gate's input: it also carries,
 * in arrival order, the examples to learn now and the qualities to watch ({@code Left}).
 *
 * <p>A held-out trajectory ({@link BackgroundLoopConfig#split()}) enters the reservoir without its
 * target: it shapes the patterns and trains nothing, so the gate's validation stays on data no
 * learner saw. The candidate's {@code created_at} and the snapshots' timestamps are the event time
 * of the window's last trajectory, so a replay produces identical outputs; its metrics carry what
 * the cycle measured (gradient norm, boundary statistic and z-score, boundary flag, lambda,
 * penalty, tasks) and the event time of the window's first trajectory, which the gate uses to
 * split held-out data between tasks at a boundary. Gauges show the last cycle's numbers.
 *
 * <p>A window with fewer than {@code minTrajectories} is carried over into the next one, never
 * dropped. It is an operator rather than a process function so that it sees the end of a bounded
 * input ({@link BoundedOneInput}): processing-time timers do not fire by themselves when a bounded
 * job ends, so at end of input every key learns from whatever its last window holds.
 */
public class BackgroundLoopOperator extends AbstractStreamOperator<Either<Trajectory, AdapterUpdate>>
        implements OneInputStreamOperator<Either<Trajectory, Trajectory>, Either<Trajectory, AdapterUpdate>>,
                Triggerable<String, VoidNamespace>, BoundedOneInput {

    private static final long serialVersionUID = 2L;

    private static final float[] NO_EMBEDDING = new float[0];

    public static final OutputTag<PatternSnapshot> PATTERN_SNAPSHOTS =
            new OutputTag<>("pattern-snapshots", EventCodecs.PATTERN_SNAPSHOT);
    public static final OutputTag<SkillMap> SKILL_MAPS = new OutputTag<>("skill-maps", EventCodecs.SKILL_MAP);

    static final String RESERVOIR = "reservoir";

    /** Counter of settled trajectories that reached the background loop (kept in the window or not). */
    public static final String SETTLED_COUNTER = "settledTrajectories";
    /** Counter of windows that ran a learning cycle. */
    public static final String CYCLES_COUNTER = "backgroundCycles";
    /** Counter of windows carried over into the next one for lack of trajectories. */
    public static final String CARRIED_OVER_COUNTER = "windowsCarriedOver";
    /** Counter of qualified trajectories in no pattern: their cluster was too small to store. */
    public static final String UNPLACED_COUNTER = "unplacedTrajectories";
    /** Counter of patterns retired (no trajectory nearest to them) or absorbed into another. */
    public static final String PATTERNS_RETIRED_COUNTER = "patternsRetired";

    /** Names of the candidate's metrics. */
    public static final String METRIC_CYCLE_SAMPLES = "cycleSamples";
    public static final String METRIC_LOSS_BEFORE = "lossBefore";
    public static final String METRIC_LOSS_AFTER = "lossAfter";
    public static final String METRIC_TRAINING_EXAMPLES = "trainingExamples";
    public static final String METRIC_GRADIENT_NORM = "gradientNorm";
    public static final String METRIC_BOUNDARY_STATISTIC = "boundaryStatistic";
    public static final String METRIC_BOUNDARY_Z_SCORE = "boundaryZScore";
    /** 1 when the cycle started a new EWC++ task, else 0. */
    public static final String METRIC_TASK_BOUNDARY = "taskBoundary";
    public static final String METRIC_EWC_LAMBDA = "ewcLambda";
    public static final String METRIC_EWC_PENALTY = "ewcPenalty";
    public static final String METRIC_EWC_TASKS = "ewcTasks";
    public static final String METRIC_PATTERNS = "patterns";
    /** What the cycle did to the bank ({@link MergeReport}). */
    public static final String METRIC_PATTERNS_INSERTED = "patternsInserted";
    public static final String METRIC_PATTERNS_REFINED = "patternsRefined";
    public static final String METRIC_PATTERNS_ABSORBED = "patternsAbsorbed";
    public static final String METRIC_PATTERNS_RETIRED = "patternsRetired";
    public static final String METRIC_PATTERNS_EVICTED = "patternsEvicted";
    /** Qualified trajectories of clusters too small to become a pattern this cycle. */
    public static final String METRIC_UNPLACED_TRAJECTORIES = "unplacedTrajectories";
    /** Event time of the window's first trajectory. */
    public static final String METRIC_WINDOW_START = "windowStart";

    /** Counter of cycles that started a new EWC++ task. */
    public static final String TASK_BOUNDARIES_COUNTER = "taskBoundaries";
    /** Gauges of the last cycle's numbers (of whichever key ran last on the subtask). */
    public static final String GAUGE_GRADIENT_NORM = "lastGradientNorm";
    public static final String GAUGE_BOUNDARY_Z_SCORE = "lastBoundaryZScore";
    public static final String GAUGE_EWC_LAMBDA = "lastEwcLambda";
    public static final String GAUGE_EWC_PENALTY = "lastEwcPenalty";
    public static final String GAUGE_EWC_TASKS = "lastEwcTasks";

    private final BackgroundLoopConfig config;
    private final int bundleKeys;
    private transient StateBundle bundle;

    /** The window's reservoir as slots, so that adding a trajectory is O(1) on RocksDB. */
    private transient MapState<Integer, TrajectorySample> reservoir;
    private transient ValueState<Long> reservoirSeen; // bundled, as are window end, span and key
    private transient ValueState<ReasoningBank> bank;
    private transient ValueState<BaseLora> baseLora;
    private transient ValueState<Long> cycles;
    private transient ValueState<Long> windowEnd;
    /** Event times of the window's first and last trajectories. */
    private transient ValueState<Tuple2<Long, Long>> windowSpan;
    private transient ValueState<Tuple3<String, String, String>> adapterKey;
    private transient InternalTimerService<VoidNamespace> timers;
    private transient Counter settled;
    private transient Counter cyclesRun;
    private transient Counter windowsCarriedOver;
    private transient Counter taskBoundaries;
    private transient Counter unplacedTrajectories;
    private transient Counter patternsRetired;
    private transient volatile TrainingReport lastTraining;

    public BackgroundLoopOperator(BackgroundLoopConfig config) {
        this(config, StateBundle.DEFAULT_MAX_KEYS);
    }

    /** The key's ReasoningBank, as the savepoint holds it. */
    public static ValueStateDescriptor<ReasoningBank> bankStateDescriptor() {
        return new ValueStateDescriptor<>("bank", StateSerializers.reasoningBank());
    }

    /** The key's BaseLoRA with its optimizer and EWC++ memory. */
    public static ValueStateDescriptor<BaseLora> baseLoraStateDescriptor() {
        return new ValueStateDescriptor<>("base-lora", StateSerializers.baseLora());
    }

    /** Learning cycles the key has run. */
    public static ValueStateDescriptor<Long> cyclesStateDescriptor() {
        return new ValueStateDescriptor<>("cycles", Types.LONG);
    }

    /** Trajectories in the key's current window (its reservoir), by slot. */
    public static MapStateDescriptor<Integer, TrajectorySample> reservoirStateDescriptor() {
        return new MapStateDescriptor<>(RESERVOIR, IntSerializer.INSTANCE, StateSerializers.trajectorySample());
    }

    public BackgroundLoopOperator(BackgroundLoopConfig config, int bundleKeys) {
        this.config = config;
        this.bundleKeys = bundleKeys;
    }

    @Override
    public void open() throws Exception {
        super.open();
        reservoir = getPartitionedState(reservoirStateDescriptor());
        bundle = new StateBundle(() -> (String) getCurrentKey(), this::setCurrentKey, bundleKeys);
        reservoirSeen = bundle.bundle(getPartitionedState(new ValueStateDescriptor<>("reservoir-seen", Types.LONG)));
        bank = getPartitionedState(bankStateDescriptor());
        baseLora = getPartitionedState(baseLoraStateDescriptor());
        cycles = getPartitionedState(cyclesStateDescriptor());
        windowEnd = bundle.bundle(getPartitionedState(new ValueStateDescriptor<>("window-end", Types.LONG)));
        windowSpan = bundle.bundle(getPartitionedState(
                new ValueStateDescriptor<>("window-span", Types.TUPLE(Types.LONG, Types.LONG))));
        adapterKey = bundle.bundle(getPartitionedState(new ValueStateDescriptor<>(
                "adapter-key", Types.TUPLE(Types.STRING, Types.STRING, Types.STRING))));
        timers = getInternalTimerService("background-window", VoidNamespaceSerializer.INSTANCE, this);
        settled = getMetricGroup().counter(SETTLED_COUNTER);
        cyclesRun = getMetricGroup().counter(CYCLES_COUNTER);
        windowsCarriedOver = getMetricGroup().counter(CARRIED_OVER_COUNTER);
        taskBoundaries = getMetricGroup().counter(TASK_BOUNDARIES_COUNTER);
        unplacedTrajectories = getMetricGroup().counter(UNPLACED_COUNTER);
        patternsRetired = getMetricGroup().counter(PATTERNS_RETIRED_COUNTER);
        getMetricGroup().gauge(GAUGE_GRADIENT_NORM, () -> lastTraining == null ? Double.NaN : lastTraining.gradientNorm());
        getMetricGroup().gauge(GAUGE_BOUNDARY_Z_SCORE, () -> lastTraining == null ? Double.NaN : lastTraining.zScore());
        getMetricGroup().gauge(GAUGE_EWC_LAMBDA, () -> lastTraining == null ? Double.NaN : lastTraining.lambda());
        getMetricGroup().gauge(GAUGE_EWC_PENALTY, () -> lastTraining == null ? Double.NaN : lastTraining.penalty());
        getMetricGroup().gauge(GAUGE_EWC_TASKS, () -> lastTraining == null ? 0 : lastTraining.tasksRemembered());
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        bundle.flush();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    /**
     * An example to learn now passes through to the gate; a settled trajectory enters the window,
     * and, when it has no target, its quality goes on to the gate's quality watch (without the
     * embedding, which the watch does not read). One ordered stream to the gate keeps its
     * decisions deterministic for a given input order.
     */
    @Override
    public void processElement(StreamRecord<Either<Trajectory, Trajectory>> element) throws Exception {
        Either<Trajectory, Trajectory> event = element.getValue();
        if (event.isLeft()) {
            output.collect(element.replace(Either.Left(event.left())));
            return;
        }
        Trajectory t = event.right();
        settled.inc();
        add(t);
        if (!t.hasTarget() && Float.isFinite(t.quality())) {
            output.collect(element.replace(Either.Left(new Trajectory(t.id(), t.key(), t.timestamp(), NO_EMBEDDING,
                    t.route(), Map.of(), Map.of(), null, t.quality(), null, t.weight()))));
        }
    }

    private void add(Trajectory t) throws Exception {
        if (t.embedding().length != config.dimension()) {
            throw new IllegalArgumentException("trajectory " + t.id() + " has dimension " + t.embedding().length
                    + "; validation upstream admits only " + config.dimension());
        }
        if (adapterKey.value() == null) {
            AdapterKey key = t.key();
            adapterKey.update(Tuple3.of(key.tenant(), key.persona(), key.domain()));
        }
        long seen = (reservoirSeen.value() == null ? 0L : reservoirSeen.value()) + 1;
        reservoirSeen.update(seen);
        int capacity = config.learning().maxTrajectories();
        int slot = seen <= capacity
                ? (int) (seen - 1)
                : ReservoirSampler.replacementSlot(reservoirSeed(), seen, capacity);
        if (slot >= 0) {
            float[] target = config.split().isHeldOut(t.id()) ? null : t.target();
            reservoir.put(slot, new TrajectorySample(t.embedding(), target, t.weight(), t.quality(), t.route(),
                    t.discreteParams(), t.numericParams()));
        }
        Tuple2<Long, Long> span = windowSpan.value();
        windowSpan.update(span == null
                ? Tuple2.of(t.timestamp(), t.timestamp())
                : Tuple2.of(Math.min(span.f0, t.timestamp()), Math.max(span.f1, t.timestamp())));
        if (windowEnd.value() == null) {
            scheduleWindowAfter(getProcessingTimeService().getCurrentProcessingTime());
        }
    }

    @Override
    public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        windowEnd.clear();
        fire(timer.getTimestamp(), false);
    }

    @Override
    public void onEventTime(InternalTimer<String, VoidNamespace> timer) {
        // the background loop runs on processing time only
    }

    @Override
    public void endInput() throws Exception {
        bundle.flush();
        List<String> keys = new ArrayList<>();
        KeyedStateBackend<String> backend = getKeyedStateBackend();
        try (Stream<String> stream = backend.getKeys(RESERVOIR, VoidNamespace.INSTANCE)) {
            stream.forEach(keys::add);
        }
        long now = getProcessingTimeService().getCurrentProcessingTime();
        for (String key : keys) {
            setCurrentKey(key);
            Long end = windowEnd.value();
            if (end != null) {
                timers.deleteProcessingTimeTimer(VoidNamespace.INSTANCE, end);
                windowEnd.clear();
            }
            fire(now, true);
        }
        bundle.flush();
    }

    /** Runs the key's cycle over its reservoir, or carries a small window over. */
    private void fire(long timestamp, boolean endOfInput) throws Exception {
        List<TrajectorySample> window = new ArrayList<>();
        window.addAll(toMap(reservoir).values());
        if (window.isEmpty()) {
            return;
        }
        if (window.size() < config.learning().minTrajectories() && !endOfInput) {
            windowsCarriedOver.inc();
            scheduleWindowAfter(timestamp);
            return;
        }
        Tuple2<Long, Long> span = windowSpan.value();
        long eventTime = span == null ? timestamp : span.f1;
        reservoir.clear();
        reservoirSeen.clear();
        windowSpan.clear();
        long cycle = (cycles.value() == null ? 0L : cycles.value()) + 1;
        ReasoningBank keyBank = bank.value() != null ? bank.value() : ReasoningBank.create(config.dimension());
        BaseLora keyLora = baseLora.value() != null
                ? baseLora.value()
                : BaseLora.create(config.dimension(), config.learning().baseLora(), config.learning().ewc(),
                        keySeed(-1L));
        CycleReport report =
                BackgroundLearner.runCycle(window, keyBank, keyLora, config.learning(), cycle, keySeed(cycle));
        bank.update(keyBank);
        baseLora.update(keyLora);
        cycles.update(cycle);
        cyclesRun.inc();
        lastTraining = report.training();
        if (report.training().taskBoundary()) {
            taskBoundaries.inc();
        }
        unplacedTrajectories.inc(report.merge().unplaced());
        patternsRetired.inc(report.merge().retired() + report.merge().absorbed());

        AdapterKey key = key();
        Map<String, Double> metrics = metrics(report, keyBank);
        if (span != null) {
            metrics.put(METRIC_WINDOW_START, (double) span.f0);
        }
        output.collect(new StreamRecord<>(Either.Right(
                AdapterUpdate.of(key, AdapterKind.BASE, cycle, cycle - 1, keyLora.adapter(), metrics, eventTime)),
                eventTime));
        output.collect(PATTERN_SNAPSHOTS, new StreamRecord<>(
                new PatternSnapshot(key, cycle, eventTime, keyBank.patterns()), eventTime));
        output.collect(SKILL_MAPS, new StreamRecord<>(SkillMaps.of(key, cycle, eventTime, keyBank), eventTime));
    }

    private static Map<String, Double> metrics(CycleReport report, ReasoningBank keyBank) {
        TrainingReport training = report.training();
        Map<String, Double> m = new TreeMap<>();
        m.put(METRIC_CYCLE_SAMPLES, (double) report.samples());
        m.put(METRIC_TRAINING_EXAMPLES, (double) training.examples());
        AdapterUpdate.putMetric(m, METRIC_LOSS_BEFORE, training.lossBefore());
        AdapterUpdate.putMetric(m, METRIC_LOSS_AFTER, training.lossAfter());
        AdapterUpdate.putMetric(m, METRIC_GRADIENT_NORM, training.gradientNorm());
        AdapterUpdate.putMetric(m, METRIC_BOUNDARY_STATISTIC, training.boundaryStatistic());
        AdapterUpdate.putMetric(m, METRIC_BOUNDARY_Z_SCORE, training.zScore());
        m.put(METRIC_TASK_BOUNDARY, training.taskBoundary() ? 1.0 : 0.0);
        AdapterUpdate.putMetric(m, METRIC_EWC_LAMBDA, training.lambda());
        AdapterUpdate.putMetric(m, METRIC_EWC_PENALTY, training.penalty());
        m.put(METRIC_EWC_TASKS, (double) training.tasksRemembered());
        m.put(METRIC_PATTERNS, (double) keyBank.size());
        MergeReport merge = report.merge();
        m.put(METRIC_PATTERNS_INSERTED, (double) merge.inserted());
        m.put(METRIC_PATTERNS_REFINED, (double) merge.refined());
        m.put(METRIC_PATTERNS_ABSORBED, (double) merge.absorbed());
        m.put(METRIC_PATTERNS_RETIRED, (double) merge.retired());
        m.put(METRIC_PATTERNS_EVICTED, (double) merge.evicted());
        m.put(METRIC_UNPLACED_TRAJECTORIES, (double) merge.unplaced());
        return m;
    }

    /**
     * The end of the key's window after {@code time}. Each key's windows have their own phase (a
     * hash of the key), so the keys of a task do not all run their cycles, each up to hundreds of
     * milliseconds, at the same instant and hold the task thread and its checkpoint for minutes.
     */
    private void scheduleWindowAfter(long time) throws Exception {
        long interval = config.intervalMs();
        long phase = Math.floorMod(DeterministicRandom.hash((String) getCurrentKey()), interval);
        long end = (Math.floorDiv(time - phase, interval) + 1) * interval + phase;
        timers.registerProcessingTimeTimer(VoidNamespace.INSTANCE, end);
        windowEnd.update(end);
    }

    /** Slot order, so the window's sample order (and thus the cycle) does not depend on the backend. */
    private static Map<Integer, TrajectorySample> toMap(MapState<Integer, TrajectorySample> state) throws Exception {
        Map<Integer, TrajectorySample> map = new TreeMap<>();
        for (Map.Entry<Integer, TrajectorySample> e : state.entries()) {
            map.put(e.getKey(), e.getValue());
        }
        return map;
    }

    /** The current window's reservoir seed: changes with every cycle of the key. */
    private long reservoirSeed() throws Exception {
        return keySeed(Long.MIN_VALUE + (cycles.value() == null ? 0L : cycles.value()));
    }

    private AdapterKey key() throws Exception {
        Tuple3<String, String, String> k = adapterKey.value();
        return new AdapterKey(k.f0, k.f1, k.f2);
    }

    /** A seed for this key and {@code salt}, independent of wall clock and of the other keys. */
    private long keySeed(long salt) {
        String key = (String) getCurrentKey();
        return DeterministicRandom.mix(config.seed() ^ DeterministicRandom.mix(key.hashCode() * 31L + salt));
    }
}
