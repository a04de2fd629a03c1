package io.sonaflink.operators.gate;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.AdapterUpdateCodec;
import io.sonaflink.operators.events.Control;
import io.sonaflink.operators.events.ControlCommand;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.GateDecision;
import io.sonaflink.operators.events.GateDecisionType;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.instant.InstantLoopConfig;
import io.sonaflink.operators.testing.GateHarness;
import io.sonaflink.state.lora.MicroLoraConfig;
import io.sonaflink.state.serving.HeldOutSplit;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;

import static io.sonaflink.operators.gate.GateFixtures.KEY;
import static io.sonaflink.operators.gate.GateFixtures.OTHER_KEY;
import static io.sonaflink.operators.gate.GateFixtures.candidate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class AdapterGateFunctionTest {

    /** Every trajectory held out: these tests judge planted candidates, the instant loop learns nothing. */
    private static final AdapterGateConfig CONFIG =
            AdapterGateConfig.DEFAULT.withSplit(new HeldOutSplit(1.0)).withHeldOut(64, 20);
    /** The instant loop of these tests: never a candidate of its own unless a test feeds learnable data. */
    static final InstantLoopConfig NO_MICRO_CANDIDATES =
            new InstantLoopConfig(GateFixtures.DIM, new MicroLoraConfig(1, 1f, 0.1f, 1), Integer.MAX_VALUE, 0L, 3L);

    private final GateFixtures fixtures = new GateFixtures();
    private final List<Harness> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (var h : open) {
            h.close();
        }
    }

    @Test
    void betterCandidatesArePromotedWithTheGatesOwnVersions() throws Exception {
        var h = harness(CONFIG);
        feed(h, 30, 0.5f);
        h.processElement(AdapterGateFunction.candidate(candidate(7, 0.5f)), 1L);
        h.processElement(AdapterGateFunction.candidate(candidate(9, 1f)), 2L);

        List<AdapterUpdate> out = h.extractOutputValues();
        assertThat(out).extracting(AdapterUpdate::version).containsExactly(1L, 2L);
        assertThat(out).extracting(AdapterUpdate::parentVersion).containsExactly(0L, 1L);
        assertThat(out.get(1).weights()).isDeepEqualTo(candidate(9, 1f).weights());
        assertThat(out.get(1).metrics())
                .containsEntry(AdapterGateFunction.METRIC_LEARNER_VERSION, 9.0)
                .containsEntry(AdapterUpdate.METRIC_EVENTS_SEEN, 90.0)
                .containsEntry(AdapterGateFunction.METRIC_HELD_OUT, 30.0);
        assertThat(out.get(1).metrics().get(AdapterGateFunction.METRIC_RETENTION))
                .isCloseTo(1.0 / GateFixtures.quality(0.5), within(1e-4));

        List<GateDecision> decisions = decisions(h);
        assertThat(decisions).extracting(GateDecision::decision)
                .containsExactly(GateDecisionType.PROMOTED, GateDecisionType.PROMOTED);
        assertThat(decisions.get(0).reason()).contains("served model no better than identity (q=0.0000)");
        assertThat(decisions.get(0).metrics()).containsEntry("recent.examples", 30.0)
                .containsKey("recent.candidateLoss").containsKey("recent.identityLoss");
        assertThat(decisions).extracting(GateDecision::candidateVersion).containsExactly(7L, 9L);
        assertThat(decisions).extracting(GateDecision::publishedVersion).containsExactly(1L, 2L);
    }

    @Test
    void worseCandidateIsRejectedWithItsRetentionInTheReason() throws Exception {
        var h = harness(CONFIG);
        feed(h, 30, 0.5f);
        h.processElement(AdapterGateFunction.candidate(candidate(1, 1f)), 1L);
        h.processElement(AdapterGateFunction.candidate(candidate(2, 0.5f)), 2L);

        assertThat(h.extractOutputValues()).extracting(AdapterUpdate::version).containsExactly(1L);
        GateDecision rejected = decisions(h).get(1);
        assertThat(rejected.decision()).isEqualTo(GateDecisionType.REJECTED);
        assertThat(rejected.retention()).isCloseTo(0.75, within(1e-4));
        assertThat(rejected.reason())
                .contains(String.format(Locale.ROOT, "retention %.4f < 0.9500", rejected.retention()))
                .contains("against served", "q(served)=1.0000");
        assertThat(rejected.metrics().get("recent.retention")).isCloseTo(0.75, within(1e-4));
        assertThat(rejected.publishedVersion()).isZero();
    }

    @Test
    void microAndBaseAreVersionedSeparatelyAndKeysIndependently() throws Exception {
        var h = harness(CONFIG);
        feed(h, 30, 0.5f);
        h.processElement(AdapterGateFunction.candidate(candidate(1, 0.5f)), 1L);
        h.processElement(AdapterGateFunction.candidate(candidate(KEY, AdapterKind.BASE, 1, 0.5f)), 2L);
        h.processElement(AdapterGateFunction.candidate(candidate(2, 1f)), 3L);
        h.processElement(AdapterGateFunction.candidate(candidate(OTHER_KEY, AdapterKind.MICRO, 5, 0.5f)), 4L);

        assertThat(h.extractOutputValues())
                .extracting(u -> u.key().persona() + "/" + u.kind() + "/v" + u.version())
                .containsExactly("support/MICRO/v1", "support/BASE/v1", "support/MICRO/v2", "sales/MICRO/v1");
    }

    @Test
    void pinnedKeyHoldsCandidatesUntilPromoteAndUnpinReleasesIt() throws Exception {
        var h = harness(CONFIG);
        feed(h, 30, 0.5f);
        h.processElement(AdapterGateFunction.candidate(candidate(1, 0.5f)), 1L);
        h.processBroadcastElement(Control.pin("c-pin", KEY, null, 0, 5L), 5L);
        h.processElement(AdapterGateFunction.candidate(candidate(2, 1f)), 6L);
        h.processElement(AdapterGateFunction.candidate(candidate(3, 0.5f)), 7L); // worse than the challenger

        assertThat(h.extractOutputValues()).extracting(AdapterUpdate::version).containsExactly(1L);
        assertThat(decisions(h)).extracting(GateDecision::decision).containsExactly(GateDecisionType.PROMOTED,
                GateDecisionType.PINNED, GateDecisionType.HELD_AS_CHALLENGER, GateDecisionType.REJECTED);
        assertThat(decisions(h).get(3).reason()).contains("against challenger v2", "q(served)=1.0000");

        h.processBroadcastElement(Control.promote("c-promote", KEY, AdapterKind.MICRO, 0, 8L), 8L);
        List<AdapterUpdate> out = h.extractOutputValues();
        assertThat(out).extracting(AdapterUpdate::version).containsExactly(1L, 2L);
        assertThat(out.get(1).parentVersion()).isEqualTo(1L);
        assertThat(out.get(1).weights()).isDeepEqualTo(candidate(2, 1f).weights());
        GateDecision promoted = last(decisions(h));
        assertThat(promoted.decision()).isEqualTo(GateDecisionType.PROMOTED);
        assertThat(promoted.controlId()).isEqualTo("c-promote");
        assertThat(promoted.candidateVersion()).isEqualTo(2L);

        // nothing left to promote
        h.processBroadcastElement(Control.promote("c-again", KEY, null, 0, 9L), 9L);
        assertThat(last(decisions(h)).decision()).isEqualTo(GateDecisionType.IGNORED);
        assertThat(last(decisions(h)).reason()).contains("no challenger is held");

        h.processBroadcastElement(Control.unpin("c-unpin", KEY, 10L), 10L);
        h.processElement(AdapterGateFunction.candidate(candidate(4, 1f)), 11L);
        assertThat(h.extractOutputValues()).extracting(AdapterUpdate::version).containsExactly(1L, 2L, 3L);
    }

    @Test
    void pausedLearningIgnoresCandidatesGloballyOrPerKey() throws Exception {
        var h = harness(CONFIG);
        feed(h, 30, 0.5f);
        h.processBroadcastElement(Control.pauseLearning("c-1", null, 1L), 1L);
        h.processElement(AdapterGateFunction.candidate(candidate(1, 1f)), 2L);
        assertThat(h.extractOutputValues()).isEmpty();
        assertThat(last(decisions(h)).decision()).isEqualTo(GateDecisionType.IGNORED);
        assertThat(last(decisions(h)).reason()).contains("paused");

        // a key's override wins over the global setting
        h.processBroadcastElement(Control.resumeLearning("c-2", KEY, 3L), 3L);
        h.processElement(AdapterGateFunction.candidate(candidate(2, 1f)), 4L);
        h.processElement(AdapterGateFunction.candidate(candidate(OTHER_KEY, AdapterKind.MICRO, 1, 1f)), 5L);
        assertThat(h.extractOutputValues()).extracting(u -> u.key().persona() + "/v" + u.version())
                .containsExactly("support/v1");

        // a global resume clears the overrides
        h.processBroadcastElement(Control.pauseLearning("c-3", KEY, 6L), 6L);
        h.processBroadcastElement(Control.resumeLearning("c-4", null, 7L), 7L);
        h.processElement(AdapterGateFunction.candidate(candidate(3, 1f)), 8L);
        assertThat(h.extractOutputValues()).extracting(AdapterUpdate::version).containsExactly(1L, 2L);
    }

    @Test
    void rollbackRepublishesOldWeightsUnderANewHigherVersion() throws Exception {
        var h = harness(CONFIG);
        feed(h, 30, 0.5f);
        h.processElement(AdapterGateFunction.candidate(candidate(1, 0.5f)), 1L);
        h.processElement(AdapterGateFunction.candidate(candidate(2, 1f)), 2L);
        h.processBroadcastElement(Control.rollback("c-rb", KEY, AdapterKind.MICRO, 1, 50L), 50L);

        List<AdapterUpdate> out = h.extractOutputValues();
        assertThat(out).extracting(AdapterUpdate::version).containsExactly(1L, 2L, 3L);
        AdapterUpdate republished = out.get(2);
        assertThat(republished.parentVersion()).isEqualTo(2L);
        assertThat(republished.weights()).isDeepEqualTo(out.get(0).weights());
        assertThat(republished.metrics()).containsEntry(AdapterGateFunction.METRIC_ROLLED_BACK_TO, 1.0);
        assertThat(republished.createdAt()).isEqualTo(50L);
        GateDecision rolledBack = last(decisions(h));
        assertThat(rolledBack.decision()).isEqualTo(GateDecisionType.ROLLED_BACK);
        assertThat(rolledBack.candidateVersion()).isEqualTo(1L);
        assertThat(rolledBack.publishedVersion()).isEqualTo(3L);
        assertThat(rolledBack.controlId()).isEqualTo("c-rb");

        // version 0: back to the previous champion (v2's weights, as v4); a new candidate continues at v5
        h.processBroadcastElement(Control.rollback("c-undo", KEY, AdapterKind.MICRO, 0, 51L), 51L);
        h.processElement(AdapterGateFunction.candidate(candidate(3, 1f)), 52L);
        out = h.extractOutputValues();
        assertThat(out).extracting(AdapterUpdate::version).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(out.get(3).weights()).isDeepEqualTo(out.get(1).weights());

        // versions that are current or unknown change nothing and say why
        h.processBroadcastElement(Control.rollback("c-bad", KEY, AdapterKind.MICRO, 9, 53L), 53L);
        assertThat(last(decisions(h)).decision()).isEqualTo(GateDecisionType.IGNORED);
        assertThat(last(decisions(h)).reason()).contains("v9 has not been published");
        h.processBroadcastElement(Control.rollback("c-nokind", KEY, null, 2, 54L), 54L);
        assertThat(last(decisions(h)).reason()).contains("needs a kind");
        assertThat(h.extractOutputValues()).hasSize(5);
    }

    @Test
    void rollbackToTheIdentityPublishesAZeroDelta() throws Exception {
        var h = harness(CONFIG);
        feed(h, 30, 0.5f);
        h.processElement(AdapterGateFunction.candidate(candidate(1, 1f)), 1L);
        h.processBroadcastElement(Control.rollback("c-rb", KEY, AdapterKind.MICRO, 0, 2L), 2L);

        AdapterUpdate identity = last(h.extractOutputValues());
        assertThat(identity.version()).isEqualTo(2L);
        float[] x = {0.3f, -0.2f, 0.9f, 0.1f};
        assertThat(identity.toAdapter().apply(x)).containsExactly(x);
        assertThat(last(decisions(h)).reason()).contains("v0 (identity) republished as v2");
    }

    @Test
    void qualityDropAfterAPromotionRollsItBackAndSteadyQualityDoesNot() throws Exception {
        AdapterGateConfig config = CONFIG.withHeldOut(64, 5).withAutoRollback(0.9, 10, 32);
        var h = harness(config);
        feed(h, 10, 0.8f);
        feedQuality(h, 10, 0.8f);
        h.processElement(AdapterGateFunction.candidate(candidate(1, 0.5f)), 1L);
        assertThat(last(decisions(h)).reason()).contains("quality watched against 0.8000");

        feed(h, 20, 0.1f); // a correction's quality is not the fleet's measurement: not watched
        feedQuality(h, 10, 0.78f); // within 90% of 0.8: the watch ends without a rollback
        h.processElement(AdapterGateFunction.candidate(candidate(2, 1f)), 2L);
        feedQuality(h, 9, 0.4f);
        assertThat(h.extractOutputValues()).extracting(AdapterUpdate::version).containsExactly(1L, 2L);

        feedQuality(h, 1, 0.4f); // the tenth trajectory after v2 completes the window
        List<AdapterUpdate> out = h.extractOutputValues();
        assertThat(out).extracting(AdapterUpdate::version).containsExactly(1L, 2L, 3L);
        assertThat(out.get(2).weights()).isDeepEqualTo(out.get(0).weights());
        GateDecision rollback = last(decisions(h));
        assertThat(rollback.decision()).isEqualTo(GateDecisionType.ROLLED_BACK);
        assertThat(rollback.candidateVersion()).isEqualTo(1L);
        assertThat(rollback.reason()).startsWith("auto-rollback: mean quality 0.4000 of the 10 trajectories since v2");

        // the rollback ends the watch: more low quality changes nothing
        feedQuality(h, 30, 0.1f);
        assertThat(h.extractOutputValues()).hasSize(3);
    }

    @Test
    void pinnedKeyIsNotRolledBackAutomatically() throws Exception {
        AdapterGateConfig config = CONFIG.withHeldOut(64, 5).withAutoRollback(0.9, 10, 32);
        var h = harness(config);
        feed(h, 10, 0.8f);
        feedQuality(h, 10, 0.8f);
        h.processElement(AdapterGateFunction.candidate(candidate(1, 1f)), 1L);
        h.processBroadcastElement(Control.pin("c-pin", KEY, null, 0, 2L), 2L);
        feedQuality(h, 10, 0.2f);

        assertThat(h.extractOutputValues()).hasSize(1);
        GateDecision decision = last(decisions(h));
        assertThat(decision.decision()).isEqualTo(GateDecisionType.IGNORED);
        assertThat(decision.reason()).contains("auto-rollback", "pinned");
    }

    @Test
    void thresholdsCanBeChangedPerKeyByCommand() throws Exception {
        var h = harness(CONFIG);
        feed(h, 30, 0.5f);
        h.processElement(AdapterGateFunction.candidate(candidate(1, 1f)), 1L);
        h.processBroadcastElement(
                Control.setThresholds("c-t", KEY, Map.of(Control.THRESHOLD_RETENTION, 0.7), 2L), 2L);
        h.processElement(AdapterGateFunction.candidate(candidate(2, 0.5f)), 3L); // retention 0.75

        assertThat(h.extractOutputValues()).extracting(AdapterUpdate::version).containsExactly(1L, 2L);
        h.processBroadcastElement(
                Control.setThresholds("c-bad", null, Map.of("retension", 0.5), 4L), 4L);
        assertThat(last(decisions(h)).decision()).isEqualTo(GateDecisionType.IGNORED);
        assertThat(last(decisions(h)).reason()).contains("unknown threshold 'retension'");

        h.processBroadcastElement(
                Control.setGovernor("c-g", null, Map.of("ENABLE_ORACLE_REFINEMENT", false), 5L), 5L);
        GateDecision governor = last(decisions(h));
        assertThat(governor.decision()).isEqualTo(GateDecisionType.CONFIGURED);
        assertThat(governor.reason()).contains("ENABLE_ORACLE_REFINEMENT=false");
        assertThat(h.getBroadcastState(AdapterGateFunction.FLAGS).get("governor:ENABLE_ORACLE_REFINEMENT"))
                .isFalse();
    }

    @Test
    void restoredGateContinuesVersionsWithoutDuplicatesOrGaps() throws Exception {
        var before = harness(CONFIG);
        feed(before, 30, 0.5f);
        before.processElement(AdapterGateFunction.candidate(candidate(1, 0.5f)), 1L);
        before.processElement(AdapterGateFunction.candidate(candidate(KEY, AdapterKind.BASE, 1, 0.5f)), 2L);
        before.processElement(AdapterGateFunction.candidate(candidate(2, 1f)), 3L);
        before.processBroadcastElement(new Control("c-pin", ControlCommand.PIN, OTHER_KEY, null, 0, null, null, 4L,
                true), 4L); // ahead of the key's first event
        OperatorSubtaskState snapshot = before.snapshot(1L, 10L);

        var after = harness(CONFIG, snapshot);
        after.processElement(AdapterGateFunction.candidate(candidate(3, 1f)), 5L);
        after.processElement(AdapterGateFunction.candidate(candidate(KEY, AdapterKind.BASE, 2, 1f)), 6L);
        after.processBroadcastElement(Control.rollback("c-rb", KEY, AdapterKind.MICRO, 1, 7L), 7L);
        after.processElement(AdapterGateFunction.candidate(candidate(OTHER_KEY, AdapterKind.MICRO, 1, 1f)), 8L);

        assertThat(after.extractOutputValues())
                .extracting(u -> u.kind() + "/v" + u.version() + "<-" + u.parentVersion())
                .containsExactly("MICRO/v3<-2", "BASE/v2<-1", "MICRO/v4<-3");
        // the held-out set was restored (the validation used it), and so was the pin of the other key
        assertThat(decisions(after).get(0).reason()).contains("30 held-out");
        assertThat(last(decisions(after)).decision()).isEqualTo(GateDecisionType.HELD_AS_CHALLENGER);
    }

    /** Every command is answered: a key no task has seen, a version that does not exist. */
    @Test
    void commandsForUnknownKeysAndVersionsAreRefusedWithTheReason() throws Exception {
        var h = harness(CONFIG);
        feed(h, 30, 0.5f);
        h.processElement(AdapterGateFunction.candidate(candidate(1, 0.5f)), 1L);
        int published = h.extractOutputValues().size();

        h.processBroadcastElement(Control.rollback("c-1", OTHER_KEY, AdapterKind.MICRO, 0, 2L), 2L);
        h.processBroadcastElement(Control.promote("c-2", OTHER_KEY, null, 0, 3L), 3L);
        h.processBroadcastElement(Control.pin("c-3", OTHER_KEY, null, 0, 4L), 4L);
        h.processBroadcastElement(Control.pin("c-4", KEY, AdapterKind.MICRO, 7, 5L), 5L);

        List<GateDecision> answers = decisions(h).stream().filter(d -> d.controlId() != null).toList();
        assertThat(answers).extracting(GateDecision::controlId).containsExactly("c-1", "c-2", "c-3", "c-4");
        assertThat(answers).allSatisfy(d -> assertThat(d.decision()).isEqualTo(GateDecisionType.IGNORED));
        assertThat(answers.get(0).reason()).contains("has not seen key " + OTHER_KEY);
        assertThat(answers.get(2).reason()).contains("\"scope\": \"ahead\"");
        assertThat(answers.get(3).reason()).contains("MICRO v7 refused: it has not been published");
        // nothing was pinned: the next candidate is published, not held
        h.processElement(AdapterGateFunction.candidate(candidate(2, 1f)), 6L);
        assertThat(h.extractOutputValues()).hasSize(published + 1);
    }

    @Test
    void perKeyStateStaysBounded() throws Exception {
        AdapterGateConfig config = CONFIG.withHeldOut(8, 5).withAutoRollback(0.9, 16, 32).withHistorySize(3);
        var h = harness(config);
        feed(h, 50, 0.5f);
        for (int i = 0; i < 20; i++) {
            h.processElement(AdapterGateFunction.trajectory(fixtures.withoutTarget(0.5f)), 1L);
        }
        // 7 versions: the last one prunes by range, not by the listing done every historySize versions
        for (int v = 1; v <= 7; v++) {
            h.processElement(AdapterGateFunction.candidate(candidate(v, 1f)), 2L);
        }

        AbstractStreamOperator<?> op = h.getOperator();
        assertThat(mapEntries(op, AdapterGateFunction.STATE_HELD_OUT, EventCodecs.TRAJECTORY)).isEqualTo(8);
        assertThat(mapEntries(op, AdapterGateFunction.STATE_RECENT_QUALITY, Types.FLOAT)).isEqualTo(16);
        assertThat(mapEntries(op, AdapterGateFunction.historyStateName(AdapterKind.MICRO), AdapterUpdateCodec.TYPE,
                Types.LONG)).isEqualTo(3);
        assertThat(h.extractOutputValues()).extracting(AdapterUpdate::version).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);

        // an evicted version cannot be rolled back to, and the refusal says why
        h.processBroadcastElement(Control.rollback("c-rb", KEY, AdapterKind.MICRO, 2, 3L), 3L);
        assertThat(last(decisions(h)).reason()).contains("v2 is no longer kept");
    }

    @Test
    void commandsAreReportedOnceAndKeyedCommandsRunOnlyWhereTheKeyLives() throws Exception {
        Harness[] tasks = {harness(CONFIG, null, 2, 0), harness(CONFIG, null, 2, 1)};
        AdapterKey[] keys = {keyOwnedBy(0, 2), keyOwnedBy(1, 2)};
        for (int task = 0; task < 2; task++) {
            for (int i = 0; i < 30; i++) {
                tasks[task].processElement(AdapterGateFunction.trajectory(fixtures.trajectory(keys[task], 0.5f)), 1L);
            }
            tasks[task].processElement(
                    AdapterGateFunction.candidate(candidate(keys[task], AdapterKind.BASE, 1, 0.5f)), 2L);
            tasks[task].processElement(
                    AdapterGateFunction.candidate(candidate(keys[task], AdapterKind.BASE, 2, 1f)), 3L);
        }
        Control pause = Control.pauseLearning("c-pause", null, 4L);
        Control rollback = Control.rollback("c-rb", keys[1], AdapterKind.BASE, 1, 5L);
        for (Harness task : tasks) {
            task.processBroadcastElement(pause, 4L);
            task.processBroadcastElement(rollback, 5L);
        }

        // the setting is reported by task 0 only, the rollback by the owner of keys[1] only
        assertThat(decisions(tasks[0])).filteredOn(d -> d.controlId() != null)
                .extracting(GateDecision::decision).containsExactly(GateDecisionType.CONFIGURED);
        assertThat(decisions(tasks[1])).filteredOn(d -> d.controlId() != null)
                .extracting(GateDecision::decision).containsExactly(GateDecisionType.ROLLED_BACK);
        assertThat(tasks[0].extractOutputValues()).extracting(AdapterUpdate::version).containsExactly(1L, 2L);
        assertThat(tasks[1].extractOutputValues()).extracting(AdapterUpdate::version).containsExactly(1L, 2L, 3L);
        // and both tasks applied the pause
        for (int task = 0; task < 2; task++) {
            tasks[task].processElement(
                    AdapterGateFunction.candidate(candidate(keys[task], AdapterKind.BASE, 3, 1f)), 6L);
            assertThat(last(decisions(tasks[task])).decision()).isEqualTo(GateDecisionType.IGNORED);
        }
    }

    // ---------------------------------------------------------------- harness plumbing

    private static final int MAX_PARALLELISM = 128;

    /** The gate under a keyed broadcast harness. */
    static final class Harness extends GateHarness {

        Harness(AdapterGateConfig config, int parallelism, int subtask) throws Exception {
            this(config, NO_MICRO_CANDIDATES, parallelism, subtask);
        }

        Harness(AdapterGateConfig config, InstantLoopConfig instant, int parallelism, int subtask) throws Exception {
            super(config, instant, MAX_PARALLELISM, parallelism, subtask);
        }
    }

    Harness harness(AdapterGateConfig config) throws Exception {
        return harness(config, null, 1, 0);
    }

    private Harness harness(AdapterGateConfig config, OperatorSubtaskState restore) throws Exception {
        return harness(config, restore, 1, 0);
    }

    private Harness harness(AdapterGateConfig config, OperatorSubtaskState restore, int parallelism, int subtask)
            throws Exception {
        return harness(new Harness(config, parallelism, subtask), restore);
    }

    Harness harness(Harness h, OperatorSubtaskState restore) throws Exception {
        h.setStateBackend(new EmbeddedRocksDBStateBackend());
        // as in the job: no type may fall back to Kryo
        SerializerConfigImpl serializers = (SerializerConfigImpl) h.getExecutionConfig().getSerializerConfig();
        serializers.setGenericTypes(false);
        h.setup(AdapterUpdateCodec.TYPE.createSerializer(serializers));
        if (restore != null) {
            h.initializeState(restore);
        }
        h.open();
        open.add(h);
        return h;
    }

    /** A key that Flink assigns to {@code subtask} of {@code parallelism}. */
    private static AdapterKey keyOwnedBy(int subtask, int parallelism) {
        for (int i = 0; ; i++) {
            AdapterKey key = new AdapterKey("acme", "persona-" + i, "billing");
            if (KeyGroupRangeAssignment.assignKeyToParallelOperator(key.asString(), MAX_PARALLELISM, parallelism)
                    == subtask) {
                return key;
            }
        }
    }

    /** Trajectories without a correction: their quality is what the fleet measured. */
    private void feedQuality(Harness h, int n, float quality) throws Exception {
        for (int i = 0; i < n; i++) {
            h.processElement(AdapterGateFunction.trajectory(fixtures.withoutTarget(quality)), 1L);
        }
    }

    private void feed(Harness h, int n, float quality) throws Exception {
        for (int i = 0; i < n; i++) {
            h.processElement(AdapterGateFunction.trajectory(fixtures.trajectory(quality)), 1L);
        }
    }

    static List<GateDecision> decisions(Harness h) {
        Queue<StreamRecord<GateDecision>> records = h.getSideOutput(AdapterGateFunction.DECISIONS);
        List<GateDecision> list = new ArrayList<>();
        if (records != null) {
            records.forEach(r -> list.add(r.getValue()));
        }
        return list;
    }

    static <T> T last(List<T> list) {
        assertThat(list).isNotEmpty();
        return list.get(list.size() - 1);
    }

    static <V> int mapEntries(AbstractStreamOperator<?> op, String name, TypeInformation<V> valueType)
            throws Exception {
        return mapEntries(op, name, valueType, Types.INT);
    }

    /** Entries of one map state of {@link GateFixtures#KEY}, read through the operator's RocksDB backend. */
    static <K, V> int mapEntries(AbstractStreamOperator<?> op, String name, TypeInformation<V> valueType,
            TypeInformation<K> keyType) throws Exception {
        op.setCurrentKey(KEY.asString());
        MapState<K, V> state = op.getKeyedStateBackend().getPartitionedState(VoidNamespace.INSTANCE,
                VoidNamespaceSerializer.INSTANCE, new MapStateDescriptor<>(name, keyType, valueType));
        int n = 0;
        for (K ignored : state.keys()) {
            n++;
        }
        return n;
    }
}
