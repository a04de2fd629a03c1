package io.sonaflink.operators.gate;

import io.sonaflink.operators.background.BackgroundLoopOperator;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.GateDecision;
import io.sonaflink.operators.events.GateDecisionType;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.instant.InstantLoopConfig;
import io.sonaflink.state.lora.MicroLoraConfig;
import io.sonaflink.state.serving.HeldOutSplit;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static io.sonaflink.operators.gate.AdapterGateFunctionTest.decisions;
import static io.sonaflink.operators.gate.AdapterGateFunctionTest.last;
import static io.sonaflink.operators.gate.GateFixtures.DIM;
import static io.sonaflink.operators.gate.GateFixtures.KEY;
import static io.sonaflink.operators.gate.GateFixtures.candidate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The gate as the owner of the served stack: the instant loop inside it, the split, rebasing, tasks. */
class GateServedStackTest {

    private static final InstantLoopConfig INSTANT =
            new InstantLoopConfig(DIM, new MicroLoraConfig(1, 1f, 0.1f, 1), 10, 0L, 3L);
    private static final AdapterGateConfig HALF_HELD_OUT =
            AdapterGateConfig.DEFAULT.withSplit(new HeldOutSplit(0.5)).withHeldOut(64, 10);
    private static final AdapterGateConfig ALL_HELD_OUT =
            AdapterGateConfig.DEFAULT.withSplit(new HeldOutSplit(1.0)).withHeldOut(64, 10);

    private final Random random = new Random(11);
    private final List<AdapterGateFunctionTest.Harness> open = new ArrayList<>();
    private int next;

    @AfterEach
    void close() throws Exception {
        for (var h : open) {
            h.close();
        }
    }

    @Test
    void heldOutTrajectoriesTrainNothingAndTheRestIsNeverValidatedOn() throws Exception {
        var h = harness(HALF_HELD_OUT, INSTANT);
        int heldOut = 0;
        for (int i = 0; i < 200; i++) {
            Trajectory t = trajectory(1f, 1_000L + i);
            heldOut += HALF_HELD_OUT.split().isHeldOut(t.id()) ? 1 : 0;
            h.processElement(AdapterGateFunction.trajectory(t), 1L);
        }
        assertThat(heldOut).isBetween(70, 130);
        AdapterUpdate lastMicro = last(h.extractOutputValues());
        long judged = decisions(h).stream().filter(d -> d.kind() == AdapterKind.MICRO).count();
        assertThat(lastMicro.metrics().get(AdapterUpdate.METRIC_EVENTS_SEEN)).isEqualTo(10.0 * judged);
        assertThat(judged).isEqualTo((200 - heldOut) / 10);
        assertThat(AdapterGateFunctionTest.mapEntries(h.getOperator(), AdapterGateFunction.STATE_HELD_OUT,
                EventCodecs.TRAJECTORY)).isEqualTo(Math.min(heldOut, 64));
        assertThat(last(decisions(h)).metrics().get("recent.examples")).isEqualTo(Math.min(heldOut, 64));
    }

    /** MicroLoRA learns what the champion base leaves: nothing, when the base is exact. */
    @Test
    void microLearnsTheResidualOfTheChampionBase() throws Exception {
        var withBase = harness(HALF_HELD_OUT, INSTANT);
        withBase.processElement(AdapterGateFunction.candidate(candidate(KEY, AdapterKind.BASE, 1, 1f)), 1L);
        var withoutBase = harness(HALF_HELD_OUT, INSTANT);
        for (int i = 0; i < 100; i++) {
            Trajectory t = trajectory(1f, 1_000L + i);
            withBase.processElement(AdapterGateFunction.trajectory(t), 2L);
            withoutBase.processElement(AdapterGateFunction.trajectory(t), 2L);
        }
        AdapterUpdate residual = lastOfKind(withBase, AdapterKind.MICRO);
        AdapterUpdate full = lastOfKind(withoutBase, AdapterKind.MICRO);
        assertThat(residual.servedWithBase()).isEqualTo(1L);
        assertThat(full.servedWithBase()).isZero();
        assertThat(norm(residual.weights()[1])).isLessThan(1e-3);
        assertThat(norm(full.weights()[1])).isGreaterThan(0.1);
    }

    @Test
    void aNewBaseRebasesTheMicroLoRAAndPublishesTheReset() throws Exception {
        var h = harness(HALF_HELD_OUT, INSTANT);
        for (int i = 0; i < 100; i++) {
            h.processElement(AdapterGateFunction.trajectory(trajectory(1f, 1_000L + i)), 1L);
        }
        AdapterUpdate micro = lastOfKind(h, AdapterKind.MICRO);
        assertThat(norm(micro.weights()[1])).isGreaterThan(0.1);

        h.processElement(AdapterGateFunction.candidate(candidate(KEY, AdapterKind.BASE, 1, 1f)), 2L);
        List<AdapterUpdate> out = h.extractOutputValues();
        AdapterUpdate base = out.get(out.size() - 2);
        AdapterUpdate reset = out.get(out.size() - 1);
        assertThat(base.kind()).isEqualTo(AdapterKind.BASE);
        assertThat(reset.kind()).isEqualTo(AdapterKind.MICRO);
        assertThat(reset.version()).isEqualTo(micro.version() + 1);
        assertThat(reset.servedWithBase()).isEqualTo(base.version());
        assertThat(reset.weights()[1]).containsOnly(0f);
        assertThat(last(decisions(h)).decision()).isEqualTo(GateDecisionType.REBASED);
    }

    /**
     * At a boundary the held-out data of the ended task becomes its own set, and a candidate that
     * forgets that task is rejected even though the new task's set cannot see it.
     */
    @Test
    void anEarlierTaskKeepsItsHeldOutSetAndForgettingItIsRejected() throws Exception {
        var h = harness(ALL_HELD_OUT, INSTANT);
        for (int i = 0; i < 30; i++) {
            h.processElement(AdapterGateFunction.trajectory(trajectory(1f, 1_000L + i)), 1L);
        }
        h.processElement(AdapterGateFunction.candidate(candidate(KEY, AdapterKind.BASE, 1, 1f)), 2L);
        for (int i = 0; i < 30; i++) { // the new task: its corrections are the identity
            h.processElement(AdapterGateFunction.trajectory(trajectory(0f, 5_000L + i)), 3L);
        }
        Map<String, Double> metrics = new TreeMap<>(candidate(KEY, AdapterKind.BASE, 2, 0f).metrics());
        metrics.put(BackgroundLoopOperator.METRIC_TASK_BOUNDARY, 1.0);
        metrics.put(BackgroundLoopOperator.METRIC_WINDOW_START, 5_000.0);
        AdapterUpdate forgets = withMetrics(candidate(KEY, AdapterKind.BASE, 2, 0f), metrics);
        h.processElement(AdapterGateFunction.candidate(forgets), 4L);

        GateDecision rejected = last(decisions(h));
        assertThat(rejected.decision()).isEqualTo(GateDecisionType.REJECTED);
        assertThat(rejected.metrics()).containsEntry("task1.examples", 30.0).containsEntry("recent.examples", 30.0);
        assertThat(rejected.metrics().get("task1.retention")).isCloseTo(0.0, within(1e-4));
        assertThat(rejected.reason()).contains("task1: 30 held-out, retention 0.0000 < 0.9500");
        assertThat(AdapterGateFunctionTest.mapEntries(h.getOperator(), AdapterGateFunction.STATE_HELD_OUT,
                EventCodecs.TRAJECTORY)).isEqualTo(30);
    }

    @Test
    void aChampionWorseThanTheIdentityFallsBackToIt() throws Exception {
        var h = harness(ALL_HELD_OUT.withAutoRollback(0, 200, 32), INSTANT); // the watch would act first
        for (int i = 0; i < 64; i++) {
            h.processElement(AdapterGateFunction.trajectory(trajectory(1f, 1_000L + i)), 1L);
        }
        h.processElement(AdapterGateFunction.candidate(candidate(KEY, AdapterKind.BASE, 1, 1f)), 2L);
        for (int i = 0; i < 64; i++) { // the corrections change: now the identity is nearly right
            h.processElement(AdapterGateFunction.trajectory(trajectory(0.2f, 2_000L + i)), 3L);
        }
        h.processElement(AdapterGateFunction.candidate(candidate(KEY, AdapterKind.BASE, 2, 1.5f)), 4L);

        List<GateDecision> all = decisions(h);
        assertThat(all.get(all.size() - 2).decision()).isEqualTo(GateDecisionType.REJECTED);
        GateDecision fallback = last(all);
        assertThat(fallback.decision()).isEqualTo(GateDecisionType.ROLLED_BACK);
        assertThat(fallback.reason()).startsWith("fallback to identity");
        AdapterUpdate identity = last(h.extractOutputValues());
        float[] x = {0.3f, -0.2f, 0.9f, 0.1f};
        assertThat(identity.toAdapter().apply(x)).containsExactly(x);
    }

    /** The held-out examples after a promotion decide whether it stays: here the version before is better. */
    @Test
    void aPromotionThatServesWorseOnNewHeldOutDataIsRolledBack() throws Exception {
        var h = harness(ALL_HELD_OUT.withAutoRollback(0.9, 200, 10), INSTANT);
        for (int i = 0; i < 30; i++) {
            h.processElement(AdapterGateFunction.trajectory(trajectory(1f, 1_000L + i)), 1L);
        }
        h.processElement(AdapterGateFunction.candidate(candidate(KEY, AdapterKind.BASE, 1, 0.5f)), 2L);
        for (int i = 0; i < 10; i++) { // v1 serves better than no adapter on these: it stays
            h.processElement(AdapterGateFunction.trajectory(trajectory(1f, 1_500L + i)), 3L);
        }
        h.processElement(AdapterGateFunction.candidate(candidate(KEY, AdapterKind.BASE, 2, 1f)), 3L);
        assertThat(h.extractOutputValues()).hasSize(2);
        for (int i = 0; i < 10; i++) { // the world moved towards v1's correction
            h.processElement(AdapterGateFunction.trajectory(trajectory(0.5f, 2_000L + i)), 4L);
        }
        GateDecision rollback = last(decisions(h));
        assertThat(rollback.decision()).isEqualTo(GateDecisionType.ROLLED_BACK);
        assertThat(rollback.candidateVersion()).isEqualTo(1L);
        assertThat(rollback.reason()).startsWith("auto-rollback: on the 10 held-out examples since v2");
        AdapterUpdate republished = last(h.extractOutputValues());
        assertThat(republished.version()).isEqualTo(3L);
        assertThat(republished.weights()).isDeepEqualTo(candidate(KEY, AdapterKind.BASE, 1, 0.5f).weights());
    }

    @Test
    void intervalMakesACandidateOfFewFlushesOnce() throws Exception {
        InstantLoopConfig interval = new InstantLoopConfig(DIM, new MicroLoraConfig(1, 1f, 0.1f, 1), 1_000, 100L, 3L);
        var h = harness(HALF_HELD_OUT, interval);
        h.setProcessingTime(0);
        for (int i = 0; i < 20; i++) {
            h.processElement(AdapterGateFunction.trajectory(trajectory(1f, 1_000L + i)), 1L);
        }
        assertThat(decisions(h)).isEmpty();
        h.setProcessingTime(100);
        assertThat(decisions(h)).singleElement().satisfies(d -> assertThat(d.kind()).isEqualTo(AdapterKind.MICRO));
        h.setProcessingTime(1_000); // nothing changed since: no second candidate
        assertThat(decisions(h)).hasSize(1);
    }

    @Test
    void restoredGateLearnsOnBitForBit() throws Exception {
        List<Trajectory> first = new ArrayList<>();
        List<Trajectory> second = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            (i < 40 ? first : second).add(trajectory(1f, 1_000L + i));
        }
        var uninterrupted = harness(HALF_HELD_OUT, INSTANT);
        feed(uninterrupted, first);
        int before = uninterrupted.extractOutputValues().size();
        feed(uninterrupted, second);
        List<AdapterUpdate> expected =
                uninterrupted.extractOutputValues().subList(before, uninterrupted.extractOutputValues().size());

        var writer = harness(HALF_HELD_OUT, INSTANT);
        feed(writer, first);
        OperatorSubtaskState snapshot = writer.snapshot(1L, 1L);
        var restored = new AdapterGateFunctionTest().harness(
                new AdapterGateFunctionTest.Harness(HALF_HELD_OUT, INSTANT, 1, 0), snapshot);
        open.add(restored);
        feed(restored, second);

        assertThat(expected).isNotEmpty();
        assertThat(restored.extractOutputValues()).isEqualTo(expected);
    }

    private void feed(AdapterGateFunctionTest.Harness h, List<Trajectory> trajectories) throws Exception {
        for (Trajectory t : trajectories) {
            h.processElement(AdapterGateFunction.trajectory(t), 1L);
        }
    }

    private AdapterGateFunctionTest.Harness harness(AdapterGateConfig config, InstantLoopConfig instant)
            throws Exception {
        var h = new AdapterGateFunctionTest().harness(new AdapterGateFunctionTest.Harness(config, instant, 1, 0), null);
        open.add(h);
        return h;
    }

    /** A trajectory whose correction is {@code x + c u (v . x)}. */
    private Trajectory trajectory(float c, long timestamp) {
        float[] x = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            x[i] = (float) (2 * random.nextDouble() - 1);
        }
        return new Trajectory("s-" + next++, KEY, timestamp, x, "route", Map.of(), Map.of(), null, 0.5f,
                GateFixtures.target(x, c), 1f);
    }

    private static AdapterUpdate lastOfKind(AdapterGateFunctionTest.Harness h, AdapterKind kind) {
        AdapterUpdate found = null;
        for (AdapterUpdate u : h.extractOutputValues()) {
            if (u.kind() == kind) {
                found = u;
            }
        }
        assertThat(found).as("a published %s", kind).isNotNull();
        return found;
    }

    private static AdapterUpdate withMetrics(AdapterUpdate u, Map<String, Double> metrics) {
        return new AdapterUpdate(u.key(), u.kind(), u.version(), u.parentVersion(), u.rank(), u.layers(), u.alpha(),
                u.weights(), metrics, u.createdAt());
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float f : v) {
            s += f * f;
        }
        return Math.sqrt(s);
    }
}
