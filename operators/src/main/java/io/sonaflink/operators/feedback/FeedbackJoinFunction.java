package io.sonaflink.operators.feedback;

import io.sonaflink.operators.bundle.KeyAccess;
import io.sonaflink.operators.bundle.StateBundle;
import io.sonaflink.operators.events.DeadLetter;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.SignalType;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.events.TrainingSignal;
import io.sonaflink.operators.gate.AdapterGateFunction;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.api.java.typeutils.ListTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Joins training signals to the trajectory they are about, keyed by adapter key (the key every
 * learner downstream is keyed by, so nothing is shuffled again).
 *
 * <p>Two outputs in one ordered stream ({@link #OUTPUT_TYPE}):
 *
 * <ul>
 *   <li><b>learn now</b> ({@code Left}): every example with a target, at once: a trajectory that
 *       arrives with one, an import, and a correction applied to its trajectory, whether that
 *       trajectory still waits or has moved on. The instant loop sees a correction in the same
 *       event that brings it.
 *   <li><b>settled</b> ({@code Right}): every trajectory after {@link FeedbackJoinConfig#holdMs()}
 *       (its signals applied, the last correction's target included), and a late correction
 *       again as a corrective event. The background loop and the gate's quality watch see these.
 * </ul>
 *
 * <p>State is bounded per key, not by throughput times retention: the key's trajectories are kept
 * for hold plus late retention, at most {@link FeedbackJoinConfig#maxKeptPerKey()} of them (the
 * oldest moves on early and is forgotten), in map state numbered by arrival; one small {@link
 * JoinCursor} per key (bundled on the heap between checkpoints) and one coalesced timer per key
 * replace the three per-trajectory timers of a join keyed by trajectory id. Signals that arrive
 * before their trajectory wait as long as a late correction would. Nothing is dropped silently: a
 * signal that finds no trajectory, or a quality signal for one that moved on, becomes a dead letter
 * ({@link #UNMATCHED_SIGNALS}) with the reason. Run it in a {@link FeedbackJoinOperator}.
 */
public class FeedbackJoinFunction
        extends KeyedCoProcessFunction<String, Trajectory, TrainingSignal, Either<Trajectory, Trajectory>> {

    private static final long serialVersionUID = 2L;

    /** Output: learn now ({@code Left}) or settled ({@code Right}). */
    public static final TypeInformation<Either<Trajectory, Trajectory>> OUTPUT_TYPE =
            new EitherTypeInfo<>(EventCodecs.TRAJECTORY, EventCodecs.TRAJECTORY);

    /**
     * Signals that found no trajectory to change, and trajectories whose id is already kept, as
     * dead letters with the reason.
     */
    public static final OutputTag<DeadLetter> UNMATCHED_SIGNALS =
            new OutputTag<>("unmatched-signals", EventCodecs.DEAD_LETTER);

    /** Counter of training signals applied to their trajectory. */
    public static final String JOINED_SIGNALS_COUNTER = "joinedSignals";
    /** Counter of corrections that arrived after their trajectory moved on. */
    public static final String LATE_CORRECTIONS_COUNTER = "lateCorrections";
    /** Counter of signals sent to {@link #UNMATCHED_SIGNALS}. */
    public static final String UNMATCHED_SIGNALS_COUNTER = "unmatchedSignals";
    /** Counter of trajectories delivered again under an id the key already keeps (dropped). */
    public static final String DUPLICATE_TRAJECTORIES_COUNTER = "duplicateTrajectories";
    /** Counter of trajectories forgotten before their retention ended, the key keeping its maximum. */
    public static final String EVICTED_TRAJECTORIES_COUNTER = "evictedTrajectories";

    /**
     * Histogram: processing time from a signal's record timestamp to its arrival at the join, ms.
     * Beside the gate's correction → MicroLoRA latency (over the same window of samples) it says
     * which side of the join a tail is on.
     */
    public static final String METRIC_SIGNAL_ARRIVAL = "signalArrivalMs";

    static final String TRAJECTORIES = "trajectories";
    static final String ARRIVALS = "arrivals";
    static final String CURSOR = "cursor";
    static final String EARLY_SIGNALS = "early-signals";
    static final String EARLY_ARRIVALS = "early-arrivals";

    /** Trajectories a timer callback moves on or forgets at most. */
    static final int TIMER_BATCH = 256;

    private final FeedbackJoinConfig config;

    /**
     * Real processing time minus the join's clock, which stands still while the job is down: a
     * restore sets it so that the clock resumes where the checkpoint left it (see {@link
     * FeedbackJoinOperator}), so a trajectory waits its hold and late retention in time the job
     * ran, and corrections re-read after a recovery of any length still find it.
     */
    private transient long clockOffset;
    private transient KeyAccess keyAccess;
    private transient int bundleKeys;
    private transient StateBundle bundle;
    /** Trajectory id to (arrival number, the trajectory with its signals applied). */
    private transient MapState<String, Tuple2<Long, Trajectory>> trajectories;
    /** Arrival number to (trajectory id, arrival processing time). */
    private transient MapState<Long, Tuple2<String, Long>> arrivals;
    private transient ValueState<JoinCursor> cursor;
    /** The latest arrivals on the heap, written through (see {@link RecentArrivals}). */
    private transient RecentArrivals recent;
    private transient MapState<String, List<TrainingSignal>> earlySignals;
    private transient MapState<Long, Tuple2<String, Long>> earlyArrivals;
    private transient Counter joinedSignals;
    private transient Counter lateCorrections;
    private transient Counter unmatchedSignals;
    private transient Counter duplicates;
    private transient Counter evicted;
    private transient Histogram signalArrival;

    public FeedbackJoinFunction(FeedbackJoinConfig config) {
        this.config = config;
    }

    /** Bundles the key's cursor on the heap for up to {@code maxKeys} keys ({@link StateBundle}). */
    void bundleState(KeyAccess access, int maxKeys) {
        this.keyAccess = access;
        this.bundleKeys = maxKeys;
    }

    void flushBundle() throws Exception {
        if (bundle != null) {
            bundle.flush();
        }
    }

    @Override
    public void open(OpenContext openContext) {
        trajectories = getRuntimeContext().getMapState(new MapStateDescriptor<>(
                TRAJECTORIES, Types.STRING, Types.TUPLE(Types.LONG, EventCodecs.TRAJECTORY)));
        arrivals = getRuntimeContext().getMapState(
                new MapStateDescriptor<>(ARRIVALS, Types.LONG, Types.TUPLE(Types.STRING, Types.LONG)));
        earlySignals = getRuntimeContext().getMapState(new MapStateDescriptor<>(
                EARLY_SIGNALS, Types.STRING, new ListTypeInfo<>(EventCodecs.TRAINING_SIGNAL)));
        earlyArrivals = getRuntimeContext().getMapState(
                new MapStateDescriptor<>(EARLY_ARRIVALS, Types.LONG, Types.TUPLE(Types.STRING, Types.LONG)));
        ValueState<JoinCursor> cursors = getRuntimeContext().getState(new ValueStateDescriptor<>(CURSOR, JoinCursor.TYPE));
        recent = new RecentArrivals(config.cachedArrivals());
        if (keyAccess != null) {
            bundle = new StateBundle(keyAccess::currentKey, keyAccess::setCurrentKey, bundleKeys);
            cursor = bundle.bundle(cursors);
        } else {
            cursor = cursors;
        }
        joinedSignals = getRuntimeContext().getMetricGroup().counter(JOINED_SIGNALS_COUNTER);
        lateCorrections = getRuntimeContext().getMetricGroup().counter(LATE_CORRECTIONS_COUNTER);
        unmatchedSignals = getRuntimeContext().getMetricGroup().counter(UNMATCHED_SIGNALS_COUNTER);
        duplicates = getRuntimeContext().getMetricGroup().counter(DUPLICATE_TRAJECTORIES_COUNTER);
        evicted = getRuntimeContext().getMetricGroup().counter(EVICTED_TRAJECTORIES_COUNTER);
        signalArrival = getRuntimeContext().getMetricGroup().histogram(METRIC_SIGNAL_ARRIVAL,
                new DescriptiveStatisticsHistogram(AdapterGateFunction.LATENCY_WINDOW));
    }

    @Override
    public void processElement1(Trajectory trajectory, Context ctx, Collector<Either<Trajectory, Trajectory>> out)
            throws Exception {
        String key = ctx.getCurrentKey();
        JoinCursor c = cursor();
        if (c.kept() > 0 && trajectories.contains(trajectory.id())) {
            duplicates.inc(); // an at-least-once producer delivered it twice: the first one counts
            ctx.output(UNMATCHED_SIGNALS, SignalRouting.duplicate(trajectory));
            return;
        }
        Trajectory joined = trajectory;
        List<TrainingSignal> waiting = c.earlyWaiting() > 0 ? earlySignals.get(trajectory.id()) : null;
        if (waiting != null) {
            for (TrainingSignal s : waiting) {
                joined = Feedback.apply(joined, s);
                joinedSignals.inc();
            }
            earlySignals.remove(trajectory.id());
        }
        if (joined.hasTarget()) {
            out.collect(Either.Left(joined));
        }
        long now = now(ctx.timerService());
        if (c.kept() >= config.maxKeptPerKey()) {
            forgetOldest(key, c, out);
        }
        long number = c.next++;
        trajectories.put(joined.id(), Tuple2.of(number, joined));
        arrivals.put(number, Tuple2.of(joined.id(), now));
        recent.arrived(key, number, new RecentArrivals.Arrival(joined.id(), now, config.holdMs() == 0 ? null : joined));
        if (config.holdMs() == 0) {
            c.settled = c.next;
            out.collect(Either.Right(joined));
        }
        schedule(c, now + (config.holdMs() == 0 ? config.keepMs() : config.holdMs()), ctx.timerService());
        cursor.update(c);
    }

    @Override
    public void processElement2(TrainingSignal signal, Context ctx, Collector<Either<Trajectory, Trajectory>> out)
            throws Exception {
        Long produced = ctx.timestamp();
        if (produced != null && produced > 0) {
            signalArrival.update(Math.max(0, System.currentTimeMillis() - produced));
        }
        if (signal.type() == SignalType.IMPORT) {
            Trajectory example = SignalRouting.importAsTrajectory(signal);
            out.collect(Either.Left(example));
            out.collect(Either.Right(example));
            return;
        }
        JoinCursor c = cursor();
        Tuple2<Long, Trajectory> kept = c.kept() > 0 ? trajectories.get(signal.trajectoryId()) : null;
        if (kept != null) {
            Trajectory joined = Feedback.apply(kept.f1, signal);
            boolean settled = kept.f0 < c.settled;
            boolean correction = signal.type() == SignalType.CORRECTION;
            if (settled && !correction) {
                unmatched(ctx::output, signal, "trajectory '" + signal.trajectoryId() + "' had moved on to the "
                        + "learners when this " + typeName(signal) + " signal arrived (hold " + config.holdMs()
                        + " ms); only corrections still apply after the hold");
                return;
            }
            joinedSignals.inc();
            trajectories.put(signal.trajectoryId(), Tuple2.of(kept.f0, joined));
            recent.updated(ctx.getCurrentKey(), kept.f0, joined);
            if (correction) {
                out.collect(Either.Left(joined));
            }
            if (settled) {
                lateCorrections.inc();
                out.collect(Either.Right(joined));
            }
            return;
        }
        long now = now(ctx.timerService());
        if (c.earlyWaiting() >= config.maxKeptPerKey()) {
            expireOldestEarly(c, ctx::output, "more than " + config.maxKeptPerKey()
                    + " signals of this key waited for trajectories not seen yet");
        }
        List<TrainingSignal> waiting = earlySignals.get(signal.trajectoryId());
        List<TrainingSignal> updated = waiting == null ? new ArrayList<>(1) : new ArrayList<>(waiting);
        updated.add(signal);
        earlySignals.put(signal.trajectoryId(), updated);
        earlyArrivals.put(c.earlyNext++, Tuple2.of(signal.trajectoryId(), now));
        schedule(c, now + config.keepMs(), ctx.timerService());
        cursor.update(c);
    }

    @Override
    public void onTimer(long realTimestamp, OnTimerContext ctx, Collector<Either<Trajectory, Trajectory>> out)
            throws Exception {
        long timestamp = realTimestamp - clockOffset; // on the join's clock
        String key = ctx.getCurrentKey();
        JoinCursor c = cursor();
        if (c.timer != timestamp) {
            return; // a timer of an earlier schedule; the current one is still to come
        }
        c.timer = JoinCursor.NO_TIMER;
        // A key that received a burst has as many trajectories due at once: they move on in
        // batches, one timer callback each, so that events in between (corrections to learn now)
        // are not held up behind all of them.
        int budget = TIMER_BATCH;
        long next = Long.MAX_VALUE;
        while (c.settled < c.next && budget-- > 0) {
            RecentArrivals.Arrival arrival = arrival(key, c.settled);
            if (arrival.arrivedAt() + config.holdMs() > timestamp) {
                next = arrival.arrivedAt() + config.holdMs();
                break;
            }
            moveOn(key, c.settled++, arrival, out);
        }
        while (c.first < c.settled && budget-- > 0) {
            RecentArrivals.Arrival arrival = arrival(key, c.first);
            if (arrival.arrivedAt() + config.keepMs() > timestamp) {
                next = Math.min(next, arrival.arrivedAt() + config.keepMs());
                break;
            }
            forget(key, c.first++, arrival.id());
        }
        while (c.earlyFirst < c.earlyNext && budget-- > 0) {
            Tuple2<String, Long> arrival = earlyArrivals.get(c.earlyFirst);
            if (arrival.f1 + config.keepMs() > timestamp) {
                next = Math.min(next, arrival.f1 + config.keepMs());
                break;
            }
            expireOldestEarly(c, ctx::output, "trajectory '" + arrival.f0 + "' is not among the key's kept "
                    + "trajectories: it did not arrive within hold + late retention (" + config.keepMs()
                    + " ms) of this signal, arrived longer ago than that, or was pushed out by the "
                    + config.maxKeptPerKey() + " newer trajectories kept per key");
        }
        if (budget < 0) {
            next = timestamp + 1; // more is due: the next batch right after whatever is waiting
        }
        if (next != Long.MAX_VALUE) {
            schedule(c, next, ctx.timerService());
        }
        if (c.isEmpty()) {
            cursor.clear();
        } else {
            cursor.update(c);
        }
    }

    /**
     * Passes on every waiting trajectory of the current key in arrival order and reports its
     * waiting signals, then forgets the key: for the end of a bounded input, when no
     * processing-time timer fires any more.
     */
    void flushAtEndOfInput(String key, Collector<Either<Trajectory, Trajectory>> out,
            Consumer<DeadLetter> deadLetters) throws Exception {
        JoinCursor c = cursor();
        for (; c.settled < c.next; c.settled++) {
            moveOn(key, c.settled, arrival(key, c.settled), out);
        }
        for (long number = c.first; number < c.next; number++) {
            recent.forgotten(key, number);
        }
        while (c.earlyFirst < c.earlyNext) {
            expireOldestEarly(c, (tag, letter) -> deadLetters.accept(letter),
                    "the input ended before trajectory '" + earlyArrivals.get(c.earlyFirst).f0 + "' arrived");
        }
        trajectories.clear();
        arrivals.clear();
        cursor.clear();
    }

    private JoinCursor cursor() throws Exception {
        JoinCursor c = cursor.value();
        return c == null ? new JoinCursor() : c;
    }

    /** Makes room: the oldest kept trajectory moves on now if it still waits, and is forgotten. */
    private void forgetOldest(String key, JoinCursor c, Collector<Either<Trajectory, Trajectory>> out)
            throws Exception {
        RecentArrivals.Arrival arrival = arrival(key, c.first);
        if (c.first >= c.settled) {
            moveOn(key, c.first, arrival, out);
            c.settled = c.first + 1;
        }
        forget(key, c.first++, arrival.id());
        evicted.inc();
    }

    /** Kept arrival {@code number} of {@code key}, from the heap where it is still there, else from state. */
    private RecentArrivals.Arrival arrival(String key, long number) throws Exception {
        RecentArrivals.Arrival held = recent.get(key, number);
        if (held != null) {
            return held;
        }
        Tuple2<String, Long> arrival = arrivals.get(number);
        return new RecentArrivals.Arrival(arrival.f0, arrival.f1, null);
    }

    /** Passes a waiting trajectory on to the learners, after its hold (or to make room). */
    private void moveOn(String key, long number, RecentArrivals.Arrival arrival,
            Collector<Either<Trajectory, Trajectory>> out) throws Exception {
        Trajectory t = arrival.trajectory() != null ? arrival.trajectory() : trajectories.get(arrival.id()).f1;
        out.collect(Either.Right(t));
        recent.movedOn(key, number);
    }

    /** Forgets a kept trajectory; while kept, an id has one number (duplicates are dropped). */
    private void forget(String key, long number, String id) throws Exception {
        trajectories.remove(id);
        arrivals.remove(number);
        recent.forgotten(key, number);
    }

    @FunctionalInterface
    private interface SideOutput {
        void output(OutputTag<DeadLetter> tag, DeadLetter letter);
    }

    private void expireOldestEarly(JoinCursor c, SideOutput side, String reason) throws Exception {
        long number = c.earlyFirst++;
        Tuple2<String, Long> arrival = earlyArrivals.get(number);
        earlyArrivals.remove(number);
        List<TrainingSignal> waiting = earlySignals.get(arrival.f0);
        if (waiting == null) {
            return; // its trajectory came, or an earlier expiry of the same id reported them
        }
        earlySignals.remove(arrival.f0);
        for (TrainingSignal s : waiting) {
            unmatched(side, s, reason);
        }
    }

    private void unmatched(SideOutput side, TrainingSignal s, String reason) {
        unmatchedSignals.inc();
        side.output(UNMATCHED_SIGNALS, SignalRouting.unmatched(s, reason));
    }

    /**
     * One timer per key, for the earliest due time: a later arrival never needs an earlier one, so
     * a key has a single timer whatever its throughput (its trajectories are due in arrival order).
     */
    private void schedule(JoinCursor c, long due, TimerService timers) {
        if (c.timer != JoinCursor.NO_TIMER && c.timer <= due) {
            return;
        }
        timers.registerProcessingTimeTimer(due + clockOffset);
        c.timer = due;
    }

    /** The join's clock: processing time the job has run (see {@link #clockOffset}). */
    private long now(TimerService timers) {
        return timers.currentProcessingTime() - clockOffset;
    }

    /** The join's clock at real processing time {@code realTime}. */
    long joinClock(long realTime) {
        return realTime - clockOffset;
    }

    /** Resumes the join's clock at {@code joinTime} at real processing time {@code realTime}. */
    void resumeClock(long joinTime, long realTime) {
        clockOffset = Math.max(0, realTime - joinTime);
    }

    /**
     * Registers the current key's timer again on the resumed clock; a timer registered before the
     * restore fires at its old real time, finds it is not the key's current one, and does nothing.
     */
    void rescheduleAfterRestore(TimerService timers) throws Exception {
        JoinCursor c = cursor.value();
        if (c != null && c.timer != JoinCursor.NO_TIMER) {
            timers.registerProcessingTimeTimer(c.timer + clockOffset);
        }
    }

    private static String typeName(TrainingSignal s) {
        return s.type().name().toLowerCase(Locale.ROOT);
    }
}
