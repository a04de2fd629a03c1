package io.sonaflink.operators.gate;

import io.sonaflink.operators.background.BackgroundLoopConfig;
import io.sonaflink.operators.background.BackgroundLoopOperator;
import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.Control;
import io.sonaflink.operators.events.GateDecision;
import io.sonaflink.operators.events.GateDecisionType;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.instant.InstantLoopConfig;
import io.sonaflink.operators.testing.BackgroundHarness;
import io.sonaflink.operators.testing.GateHarness;
import io.sonaflink.state.cycle.BackgroundConfig;
import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.MicroLoraConfig;
import io.sonaflink.state.lora.TrainingExample;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.serving.ServedModel;
import io.sonaflink.state.testing.TaskSwitchStream;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The learner chain on RocksDB, background loop and adapter gate (with the instant loop inside),
 * over a task-switch stream: task A (its own region of request space and low-rank correction) for
 * 10 windows, then task B for 10. After every update the gate publishes, what is served (the
 * latest base and the micro learned on it, as the inference operator applies them) is measured on
 * held-out requests of both tasks that were never sent, beside each adapter alone and no adapter.
 */
class ServedLearningTest {

    static final int DIM = 32;
    static final int WINDOWS_PER_TASK = 10;
    static final int PER_WINDOW = 300;
    static final long WINDOW_MS = 1_000L;
    static final AdapterKey KEY = new AdapterKey("acme", "support", "billing");

    static final InstantLoopConfig INSTANT = new InstantLoopConfig(DIM, new MicroLoraConfig(2, 2f, 0.05f, 1), 10, 0L, 7L);

    @Test
    void servedModelLearnsBothTasksAndBeatsEachAdapterAlone() throws Exception {
        Run run = run(AdapterGateConfig.DEFAULT);
        System.out.print(run.table());

        // At every published version, what is served is no worse than either adapter alone on the
        // tasks seen so far (1 % slack for the gate's 0.95 retention on small held-out sets).
        for (Point p : run.points) {
            Loss seen = p.cycle < WINDOWS_PER_TASK ? p.a : Loss.mean(p.a, p.b);
            assertThat(seen.served).as("served vs base alone at %s", p).isLessThanOrEqualTo(1.01 * seen.base);
            assertThat(seen.served).as("served vs micro alone at %s", p).isLessThanOrEqualTo(1.01 * seen.micro);
        }
        Point endOfA = run.lastOfCycle(WINDOWS_PER_TASK - 1);
        Point end = run.points.get(run.points.size() - 1);
        assertThat(endOfA.a.quality()).as("task A learned").isGreaterThan(0.8);
        assertThat(end.b.quality()).as("task B learned").isGreaterThan(0.8);
        assertThat(end.a.quality() / endOfA.a.quality()).as("task A kept").isGreaterThanOrEqualTo(0.9);
        assertThat(run.boundaryCycles).as("EWC++ boundaries").hasSize(1);
        assertThat(run.boundaryCycles.get(0)).isBetween(WINDOWS_PER_TASK, WINDOWS_PER_TASK + 1);
        assertThat(run.decisions.get(GateDecisionType.PROMOTED)).isGreaterThan(2 * WINDOWS_PER_TASK);
    }

    /** One point of the learning curve: losses after the gate published an update. */
    record Loss(double served, double base, double micro, double identity) {
        double quality() {
            return 1 - served / identity;
        }

        static Loss mean(Loss x, Loss y) {
            return new Loss((x.served + y.served) / 2, (x.base + y.base) / 2, (x.micro + y.micro) / 2,
                    (x.identity + y.identity) / 2);
        }
    }

    record Point(int cycle, String update, Loss a, Loss b) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "cycle %d after %s", cycle, update);
        }
    }

    static final class Run {
        final List<Point> points = new ArrayList<>();
        final List<Integer> boundaryCycles = new ArrayList<>();
        final Map<GateDecisionType, Integer> decisions = new EnumMap<>(GateDecisionType.class);
        final Map<String, Integer> rejections = new TreeMap<>();

        Point lastOfCycle(int cycle) {
            Point last = null;
            for (Point p : points) {
                if (p.cycle <= cycle) {
                    last = p;
                }
            }
            return last;
        }

        String table() {
            StringBuilder s = new StringBuilder(
                    "cycle update       | A: served base micro identity | B: served base micro identity\n");
            for (Point p : points) {
                s.append(String.format(Locale.ROOT, "%5d %-12s | %.5f %.5f %.5f %.5f | %.5f %.5f %.5f %.5f%n",
                        p.cycle, p.update, p.a.served, p.a.base, p.a.micro, p.a.identity, p.b.served, p.b.base,
                        p.b.micro, p.b.identity));
            }
            s.append("boundaries at cycles ").append(boundaryCycles).append("; decisions ").append(decisions)
                    .append("; rejections by failed set ").append(rejections).append('\n');
            return s.toString();
        }
    }

    static Run run(AdapterGateConfig gateConfig) throws Exception {
        TaskSwitchStream stream = new TaskSwitchStream(DIM, 2, 6, 2, 17L);
        DeterministicRandom heldOutRandom = new DeterministicRandom(99);
        List<TrainingExample> probesA = stream.examples(0, 300, heldOutRandom);
        List<TrainingExample> probesB = stream.examples(1, 300, heldOutRandom);

        var background = new BackgroundHarness(
                new BackgroundLoopOperator(new BackgroundLoopConfig(DIM, WINDOW_MS,
                        BackgroundConfig.DEFAULT.withPatternClusters(6), 5L, gateConfig.split())));
        background.setStateBackend(new EmbeddedRocksDBStateBackend());
        background.open();
        var gate = new GateHarness(gateConfig, INSTANT, 128, 1, 0);
        gate.setStateBackend(new EmbeddedRocksDBStateBackend());
        gate.open();

        Run run = new Run();
        DeterministicRandom trainRandom = new DeterministicRandom(3);
        Map<AdapterKind, AdapterUpdate> latest = new EnumMap<>(AdapterKind.class);
        int published = 0;
        int decided = 0;
        int id = 0;
        try {
            for (int cycle = 0; cycle < 2 * WINDOWS_PER_TASK; cycle++) {
                int task = cycle < WINDOWS_PER_TASK ? 0 : 1;
                for (TrainingExample e : stream.examples(task, PER_WINDOW, trainRandom)) {
                    long time = cycle * WINDOW_MS + id % PER_WINDOW;
                    Trajectory t = new Trajectory("t-" + id++, KEY, time, e.input(), "route", Map.of(), Map.of(), null,
                            0.8f, e.target(), 1f);
                    background.settle(t, time);
                    gate.processElement(new StreamRecord<>(AdapterGateFunction.trajectory(t), time));
                    published = collect(gate, published, latest, run, cycle, probesA, probesB);
                }
                background.setProcessingTime((cycle + 1) * WINDOW_MS);
                for (AdapterUpdate candidate : background.candidates().subList(cycle, cycle + 1)) {
                    if (candidate.metrics().get(BackgroundLoopOperator.METRIC_TASK_BOUNDARY) > 0) {
                        run.boundaryCycles.add(cycle);
                    }
                    gate.processElement(new StreamRecord<>(AdapterGateFunction.candidate(candidate)));
                    published = collect(gate, published, latest, run, cycle, probesA, probesB);
                }
            }
            for (StreamRecord<GateDecision> r : sideOutput(gate)) {
                GateDecision d = r.getValue();
                run.decisions.merge(d.decision(), 1, Integer::sum);
                if (d.decision() == GateDecisionType.REJECTED) {
                    run.rejections.merge(d.kind() + " " + failedSets(d), 1, Integer::sum);
                }
                decided++;
            }
            assertThat(decided).isPositive();
        } finally {
            background.close();
            gate.close();
        }
        return run;
    }

    /** The held-out sets a rejected candidate failed on, from the decision's numbers. */
    private static String failedSets(GateDecision d) {
        List<String> failed = new ArrayList<>();
        for (Map.Entry<String, Double> e : d.metrics().entrySet()) {
            String set = e.getKey().substring(0, e.getKey().indexOf('.') + 1);
            if (e.getKey().endsWith(".retention") && e.getValue() < AdapterGateConfig.DEFAULT_RETENTION) {
                failed.add(set + "retention");
            } else if (e.getKey().endsWith(".candidateLoss") && !d.metrics().containsKey(set + "retention")
                    && e.getValue() > d.metrics().getOrDefault(set + "currentLoss", Double.MAX_VALUE)) {
                failed.add(set + "loss");
            }
        }
        return failed.isEmpty() ? "other" : String.join("+", failed);
    }

    private static Iterable<StreamRecord<GateDecision>> sideOutput(
            KeyedBroadcastOperatorTestHarness<String, Either<Trajectory, AdapterUpdate>, Control, AdapterUpdate> h) {
        var queue = h.getSideOutput(AdapterGateFunction.DECISIONS);
        return queue == null ? List.of() : queue;
    }

    /** Measures the served model after each update the gate published since {@code seen}. */
    private static int collect(
            KeyedBroadcastOperatorTestHarness<String, Either<Trajectory, AdapterUpdate>, Control, AdapterUpdate> gate,
            int seen, Map<AdapterKind, AdapterUpdate> latest, Run run, int cycle, List<TrainingExample> probesA,
            List<TrainingExample> probesB) {
        List<AdapterUpdate> out = gate.extractOutputValues();
        for (int i = seen; i < out.size(); i++) {
            AdapterUpdate u = out.get(i);
            latest.put(u.kind(), u);
            AdapterUpdate base = latest.get(AdapterKind.BASE);
            AdapterUpdate micro = latest.get(AdapterKind.MICRO);
            LoraAdapter baseAdapter = base == null ? null : base.toAdapter();
            LoraAdapter microAdapter = micro == null ? null : micro.toAdapter();
            long baseVersion = base == null ? 0 : base.version();
            boolean microServed = micro != null && micro.servedWithBase() == baseVersion;
            ServedModel served = new ServedModel(baseAdapter, microServed ? microAdapter : null);
            run.points.add(new Point(cycle, u.kind().name().toLowerCase(Locale.ROOT) + " v" + u.version(),
                    loss(served, baseAdapter, microAdapter, probesA), loss(served, baseAdapter, microAdapter, probesB)));
        }
        return out.size();
    }

    private static Loss loss(ServedModel served, LoraAdapter base, LoraAdapter micro, List<TrainingExample> probes) {
        return new Loss(mean(served, probes), mean(new ServedModel(base, null), probes),
                mean(new ServedModel(null, micro), probes), mean(ServedModel.IDENTITY, probes));
    }

    private static double mean(ServedModel model, List<TrainingExample> probes) {
        ServedModel.Workspace ws = model.newWorkspace();
        double sum = 0;
        for (TrainingExample e : probes) {
            sum += model.loss(e.input(), e.target(), e.weight(), ws);
        }
        return sum / probes.size();
    }
}
