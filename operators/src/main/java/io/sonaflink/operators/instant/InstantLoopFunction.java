package io.sonaflink.operators.instant;

import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.AdapterUpdateCodec;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.state.bandit.UcbBandit;
import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.LoraWorkspace;
import io.sonaflink.state.lora.MicroLora;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.serialization.StateSerializers;
import io.sonaflink.state.serialization.VersionedStateSerializer;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.Map;
import java.util.Objects;

/**
 * The instant loop (seed 004): per adapter key, a UCB bandit over routes learns from every
 * trajectory's quality and a MicroLoRA takes one SGD step on every corrective event (a trajectory
 * with a target). Every trajectory is forwarded unchanged for the background loop; MicroLoRA
 * versions go to {@link #MICRO_UPDATES}, rate-limited: every {@code publishEveryUpdates} flushes,
 * and at the latest {@code publishIntervalMs} of processing time after the first unpublished flush.
 *
 * <p>Keyed by {@link io.sonaflink.operators.events.AdapterKey#asString()}. Learned state depends
 * only on the events and their order: each key's adapter is seeded from the configured seed and
 * the key, and processing time only decides <em>when</em> an update is published (a timer never
 * flushes pending gradients), so a replay reproduces the same weights bit for bit.
 *
 * <p>An update's version is the MicroLoRA's flush count, so versions increase with every publish
 * and survive restarts; its parent is the previously published version (0: the identity adapter).
 */
public final class InstantLoopFunction extends KeyedProcessFunction<String, Trajectory, Trajectory> {

    private static final long serialVersionUID = 1L;

    /** MicroLoRA versions of each key. */
    public static final OutputTag<AdapterUpdate> MICRO_UPDATES =
            new OutputTag<>("micro-lora-updates", AdapterUpdateCodec.TYPE);

    /** State names are part of the savepoint format (readable with the State Processor API). */
    public static final String MICRO_LORA_STATE = "micro-lora";
    static final String BANDIT_STATE = "route-bandit";
    static final String COUNTERS_STATE = "instant-counters";

    /** Trajectories processed. */
    public static final String METRIC_EVENTS = "events";
    /** Corrections the MicroLoRA learned from. */
    public static final String METRIC_CORRECTIONS = "corrections";
    /** Corrections skipped because their embedding has the wrong dimension. */
    public static final String METRIC_REJECTED_CORRECTIONS = "rejectedCorrections";
    /** MicroLoRA updates published. */
    public static final String METRIC_MICRO_UPDATES = "microUpdates";

    private final InstantLoopConfig config;

    private transient ValueState<MicroLora> microState;
    private transient ValueState<UcbBandit> banditState;
    private transient ValueState<InstantCounters> countersState;
    private transient LoraWorkspace workspace;
    private transient Counter eventsCounter;
    private transient Counter correctionsCounter;
    private transient Counter rejectedCounter;
    private transient Counter updatesCounter;

    public InstantLoopFunction(InstantLoopConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    public InstantLoopConfig config() {
        return config;
    }

    @Override
    public void open(OpenContext openContext) {
        microState = getRuntimeContext().getState(
                new ValueStateDescriptor<>(MICRO_LORA_STATE, StateSerializers.microLora()));
        banditState = getRuntimeContext().getState(
                new ValueStateDescriptor<>(BANDIT_STATE, StateSerializers.bandit()));
        countersState = getRuntimeContext().getState(
                new ValueStateDescriptor<>(COUNTERS_STATE, new VersionedStateSerializer<>(new InstantCountersCodec())));
        // Scratch buffers of the MicroLoRA's shape; the adapter built here only supplies them.
        workspace = LoraAdapter.initialize(config.dim(), config.micro().rank(), 1, config.micro().alpha(), 0L)
                .newWorkspace();
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        eventsCounter = metrics.counter(METRIC_EVENTS);
        correctionsCounter = metrics.counter(METRIC_CORRECTIONS);
        rejectedCounter = metrics.counter(METRIC_REJECTED_CORRECTIONS);
        updatesCounter = metrics.counter(METRIC_MICRO_UPDATES);
    }

    @Override
    public void processElement(Trajectory trajectory, Context ctx, Collector<Trajectory> out) throws Exception {
        eventsCounter.inc();
        InstantCounters counters = countersState.value();
        if (counters == null) {
            counters = InstantCounters.empty(trajectory.key());
        }
        counters.trajectories++;
        float quality = trajectory.quality();
        if (Float.isFinite(quality)) {
            counters.qualitySum += quality;
            updateBandit(trajectory.route(), quality);
        }
        if (trajectory.hasTarget()) {
            learn(trajectory, counters, ctx);
        }
        countersState.update(counters);
        out.collect(trajectory);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Trajectory> out) throws Exception {
        InstantCounters counters = countersState.value();
        if (counters == null || counters.pendingTimer != timestamp) {
            return; // not ours: a timer this function deletes never fires
        }
        counters.pendingTimer = InstantCounters.NO_TIMER;
        MicroLora micro = microState.value();
        if (micro != null && micro.flushes() > counters.lastPublishedVersion) {
            publish(micro, counters, counters.lastChangeTimestamp, ctx);
        }
        countersState.update(counters);
    }

    private void updateBandit(String route, float quality) throws Exception {
        UcbBandit bandit = banditState.value();
        if (bandit == null) {
            bandit = UcbBandit.create();
        }
        bandit.update(route, quality, config.maxArms());
        banditState.update(bandit);
    }

    /** One MicroLoRA step on a correction, and a publish when enough flushes accumulated. */
    private void learn(Trajectory trajectory, InstantCounters counters, Context ctx) throws Exception {
        if (trajectory.embedding().length != config.dim()) {
            // Parsing rejects wrong dimensions; should one get here, it must not fail the job.
            rejectedCounter.inc();
            return;
        }
        MicroLora micro = microState.value();
        if (micro == null) {
            micro = MicroLora.create(config.dim(), config.micro(), adapterSeed(config.seed(), ctx.getCurrentKey()));
        }
        long flushesBefore = micro.flushes();
        float loss = micro.observe(
                trajectory.embedding(), trajectory.target(), trajectory.weight(), config.micro(), workspace);
        correctionsCounter.inc();
        counters.correctionsSincePublish++;
        counters.lossSincePublish += loss;
        if (micro.flushes() != flushesBefore) {
            counters.lastChangeTimestamp = trajectory.timestamp();
            if (micro.flushes() - counters.lastPublishedVersion >= config.publishEveryUpdates()) {
                publish(micro, counters, trajectory.timestamp(), ctx);
            } else if (config.publishesOnInterval() && !counters.hasPendingTimer()) {
                TimerService timers = ctx.timerService();
                counters.pendingTimer = timers.currentProcessingTime() + config.publishIntervalMs();
                timers.registerProcessingTimeTimer(counters.pendingTimer);
            }
        }
        microState.update(micro);
    }

    /** Emits the current weights as the next version and cancels a pending interval publish. */
    private void publish(MicroLora micro, InstantCounters counters, long createdAt, Context ctx) {
        long version = micro.flushes();
        Map<String, Double> metrics = Map.of(
                AdapterUpdate.METRIC_EVENTS_SEEN, (double) micro.eventsSeen(),
                AdapterUpdate.METRIC_RECENT_CORRECTIONS, (double) counters.correctionsSincePublish,
                AdapterUpdate.METRIC_MEAN_LOSS, counters.meanLossSincePublish(),
                AdapterUpdate.METRIC_TRAJECTORIES, (double) counters.trajectories,
                AdapterUpdate.METRIC_MEAN_QUALITY, counters.meanQuality());
        ctx.output(MICRO_UPDATES, AdapterUpdate.of(counters.key, AdapterKind.MICRO, version,
                counters.lastPublishedVersion, micro.adapter(), metrics, createdAt));
        updatesCounter.inc();
        counters.markPublished(version);
        if (counters.hasPendingTimer()) {
            ctx.timerService().deleteProcessingTimeTimer(counters.pendingTimer);
            counters.pendingTimer = InstantCounters.NO_TIMER;
        }
    }

    /**
     * The seed of {@code key}'s initial adapter: a mix of the configured seed and a 64-bit FNV-1a
     * hash of the key's characters, the same on every JVM and every run.
     */
    static long adapterSeed(long seed, String key) {
        long hash = 0xCBF29CE484222325L;
        for (int i = 0; i < key.length(); i++) {
            hash ^= key.charAt(i);
            hash *= 0x100000001B3L;
        }
        return DeterministicRandom.mix(seed ^ DeterministicRandom.mix(hash));
    }
}
