package io.sonaflink.operators.feedback;

import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.SignalType;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.events.TrainingSignal;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Joins training signals to the trajectory they are about, keyed by trajectory id.
 *
 * <p>A trajectory waits {@link FeedbackJoinConfig#holdMs()} for its signals, which adjust its
 * quality, target and weight ({@link Feedback}); then it is emitted. Signals that arrive first
 * wait for their trajectory for the same time. After emission the trajectory is remembered for
 * {@link FeedbackJoinConfig#lateRetentionMs()}, so that a late correction is still emitted as a
 * corrective event (the trajectory again, with the correction's target and weight); then all
 * state of the id is cleared. Nothing is held forever, and nothing is dropped silently: a signal
 * whose trajectory never arrives goes to {@link #UNMATCHED_SIGNALS}. Run it in a {@link
 * FeedbackJoinOperator}, which also flushes every waiting trajectory when a bounded input ends.
 */
public class FeedbackJoinFunction extends KeyedCoProcessFunction<String, Trajectory, TrainingSignal, Trajectory> {

    private static final long serialVersionUID = 1L;

    static final String PENDING = "pending";
    static final String EARLY_SIGNALS = "early-signals";

    /** Signals whose trajectory did not arrive within the hold time, or came too late to use. */
    public static final OutputTag<TrainingSignal> UNMATCHED_SIGNALS =
            new OutputTag<>("unmatched-signals", EventCodecs.TRAINING_SIGNAL);

    /** Counter of training signals applied to their trajectory. */
    public static final String JOINED_SIGNALS_COUNTER = "joinedSignals";
    /** Counter of corrections that arrived after their trajectory moved on. */
    public static final String LATE_CORRECTIONS_COUNTER = "lateCorrections";
    /** Counter of signals sent to {@link #UNMATCHED_SIGNALS}. */
    public static final String UNMATCHED_SIGNALS_COUNTER = "unmatchedSignals";

    private final FeedbackJoinConfig config;

    private transient ValueState<Trajectory> pending;
    private transient ValueState<Trajectory> emitted;
    private transient ListState<TrainingSignal> earlySignals;
    private transient ValueState<Long> timer;
    private transient Counter joinedSignals;
    private transient Counter lateCorrections;
    private transient Counter unmatchedSignals;

    public FeedbackJoinFunction(FeedbackJoinConfig config) {
        this.config = config;
    }

    @Override
    public void open(OpenContext openContext) {
        pending = getRuntimeContext().getState(new ValueStateDescriptor<>(PENDING, EventCodecs.TRAJECTORY));
        emitted = getRuntimeContext().getState(new ValueStateDescriptor<>("emitted", EventCodecs.TRAJECTORY));
        earlySignals = getRuntimeContext().getListState(
                new ListStateDescriptor<>(EARLY_SIGNALS, EventCodecs.TRAINING_SIGNAL));
        timer = getRuntimeContext().getState(new ValueStateDescriptor<>("timer", Types.LONG));
        joinedSignals = getRuntimeContext().getMetricGroup().counter(JOINED_SIGNALS_COUNTER);
        lateCorrections = getRuntimeContext().getMetricGroup().counter(LATE_CORRECTIONS_COUNTER);
        unmatchedSignals = getRuntimeContext().getMetricGroup().counter(UNMATCHED_SIGNALS_COUNTER);
    }

    @Override
    public void processElement1(Trajectory trajectory, Context ctx, Collector<Trajectory> out) throws Exception {
        if (pending.value() != null || emitted.value() != null) {
            // A duplicate delivery of the same id (at-least-once producers): the first one counts.
            return;
        }
        Trajectory joined = trajectory;
        for (TrainingSignal s : earlySignals.get()) {
            joined = Feedback.apply(joined, s);
            joinedSignals.inc();
        }
        earlySignals.clear();
        pending.update(joined);
        reschedule(ctx, ctx.timerService().currentProcessingTime() + config.holdMs());
    }

    @Override
    public void processElement2(TrainingSignal signal, Context ctx, Collector<Trajectory> out) throws Exception {
        Trajectory waiting = pending.value();
        if (waiting != null) {
            pending.update(Feedback.apply(waiting, signal));
            joinedSignals.inc();
            return;
        }
        Trajectory done = emitted.value();
        if (done != null) {
            if (signal.type() == SignalType.CORRECTION) {
                out.collect(Feedback.apply(done, signal));
                lateCorrections.inc();
            } else {
                // quality feedback after the trajectory moved on changes nothing learned any more
                ctx.output(UNMATCHED_SIGNALS, signal);
                unmatchedSignals.inc();
            }
            return;
        }
        earlySignals.add(signal);
        if (timer.value() == null) {
            // A signal can run far ahead of its trajectory when the two topics are read at different
            // speeds (a backlog after a restart): it waits as long as a late correction would.
            reschedule(ctx, ctx.timerService().currentProcessingTime() + config.holdMs() + config.lateRetentionMs());
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Trajectory> out) throws Exception {
        Trajectory ready = pending.value();
        if (ready != null) {
            out.collect(ready);
            pending.clear();
            emitted.update(ready);
            reschedule(ctx, timestamp + config.lateRetentionMs());
            return;
        }
        List<TrainingSignal> orphans = new ArrayList<>();
        earlySignals.get().forEach(orphans::add);
        for (TrainingSignal s : orphans) {
            ctx.output(UNMATCHED_SIGNALS, s);
            unmatchedSignals.inc();
        }
        earlySignals.clear();
        emitted.clear();
        timer.clear();
    }

    /** Event time of the current key's waiting trajectory; {@code Long.MAX_VALUE} when none waits. */
    long pendingTimestamp() throws Exception {
        Trajectory ready = pending.value();
        return ready == null ? Long.MAX_VALUE : ready.timestamp();
    }

    /**
     * Emits the current key's waiting trajectory and reports its waiting signals, then forgets the
     * key: for the end of a bounded input, when no processing-time timer will fire any more.
     */
    void flushAtEndOfInput(Collector<Trajectory> out, Consumer<TrainingSignal> unmatched) throws Exception {
        Trajectory ready = pending.value();
        if (ready != null) {
            out.collect(ready);
        }
        for (TrainingSignal s : earlySignals.get()) {
            unmatched.accept(s);
            unmatchedSignals.inc();
        }
        pending.clear();
        earlySignals.clear();
        emitted.clear();
        timer.clear();
    }

    private void reschedule(Context ctx, long at) throws Exception {
        Long current = timer.value();
        if (current != null) {
            ctx.timerService().deleteProcessingTimeTimer(current);
        }
        ctx.timerService().registerProcessingTimeTimer(at);
        timer.update(at);
    }
}
