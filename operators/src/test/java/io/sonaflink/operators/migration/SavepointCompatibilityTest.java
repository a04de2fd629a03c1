package io.sonaflink.operators.migration;

import io.sonaflink.operators.background.BackgroundLoopConfig;
import io.sonaflink.operators.background.BackgroundLoopOperator;
import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.instant.InstantLoopConfig;
import io.sonaflink.operators.instant.InstantLoopFunction;
import io.sonaflink.state.cycle.BackgroundConfig;
import io.sonaflink.state.lora.MicroLoraConfig;
import io.sonaflink.state.math.DeterministicRandom;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Operator state written by release 0.1 (committed under {@code snapshots/0.1/}) restores into
 * the current code, which then continues exactly as an uninterrupted run. A format change that
 * forgets to read the old version, or a renamed state, fails here rather than in a user's
 * upgrade. Regenerate the files only when cutting a release:
 * {@code mvn test -pl operators -Dtest=SavepointCompatibilityTest -Dsona.snapshots.write=true}.
 */
class SavepointCompatibilityTest {

    private static final Path SNAPSHOTS = Path.of("src", "test", "resources", "snapshots", "0.1");
    private static final boolean WRITE = Boolean.getBoolean("sona.snapshots.write");
    private static final int DIM = 16;
    private static final AdapterKey ACME = new AdapterKey("acme", "support", "billing");
    private static final AdapterKey GLOBEX = new AdapterKey("globex", "sales", "quotes");

    @Test
    void instantLoopStateRestoresAndContinuesIdentically() throws Exception {
        InstantLoopConfig config = new InstantLoopConfig(DIM, new MicroLoraConfig(2, 2f, 0.05f, 1), 8, 10, 0L, 7L);
        List<Trajectory> before = corrections(0, 60);
        List<Trajectory> after = corrections(60, 60);

        var uninterrupted = open(new KeyedProcessOperator<>(new InstantLoopFunction(config)), null);
        feed(uninterrupted, before);
        int publishedBefore = updates(uninterrupted).size();
        feed(uninterrupted, after);
        List<AdapterUpdate> expected = updates(uninterrupted).subList(publishedBefore, updates(uninterrupted).size());

        OperatorSubtaskState release = golden("instant-loop.snapshot", () -> {
            var writer = open(new KeyedProcessOperator<>(new InstantLoopFunction(config)), null);
            feed(writer, before);
            return writer.snapshot(1L, 1L);
        });
        var restored = open(new KeyedProcessOperator<>(new InstantLoopFunction(config)), release);
        feed(restored, after);

        assertThat(expected).isNotEmpty();
        assertSameUpdates(updates(restored), expected);
    }

    @Test
    void backgroundLoopStateRestoresAndContinuesIdentically() throws Exception {
        BackgroundLoopConfig config =
                new BackgroundLoopConfig(DIM, 1_000L, BackgroundConfig.DEFAULT.withPatternClusters(3), 42L);
        List<Trajectory> first = planted(0, 150);
        List<Trajectory> second = planted(150, 150);

        var uninterrupted = open(new BackgroundLoopOperator(config), null);
        uninterrupted.setProcessingTime(0);
        feed(uninterrupted, first);
        uninterrupted.setProcessingTime(1_000);
        feed(uninterrupted, second);
        uninterrupted.setProcessingTime(2_000);
        AdapterUpdate expected = uninterrupted.extractOutputValues().get(1);

        OperatorSubtaskState release = golden("background-loop.snapshot", () -> {
            var writer = open(new BackgroundLoopOperator(config), null);
            writer.setProcessingTime(0);
            feed(writer, first);
            writer.setProcessingTime(1_000);
            feed(writer, second); // a learned bank and adapter, and a window in flight
            return writer.snapshot(1L, 1_000L);
        });
        var restored = open(new BackgroundLoopOperator(config), release);
        restored.setProcessingTime(1_000);
        restored.setProcessingTime(2_000);

        assertSameUpdates(restored.extractOutputValues(), List.of(expected));
        List<PatternSnapshot> patterns = new ArrayList<>();
        restored.getSideOutput(BackgroundLoopOperator.PATTERN_SNAPSHOTS).forEach(r -> patterns.add(r.getValue()));
        assertThat(patterns).singleElement().satisfies(p -> {
            assertThat(p.cycle()).isEqualTo(2L);
            assertThat(p.patterns()).hasSize(3);
        });
    }

    private interface SnapshotWriter {
        OperatorSubtaskState write() throws Exception;
    }

    /** The committed snapshot of release 0.1, written anew only on request. */
    private static OperatorSubtaskState golden(String name, SnapshotWriter writer) throws Exception {
        Path file = SNAPSHOTS.resolve(name);
        if (WRITE) {
            Files.createDirectories(SNAPSHOTS);
            OperatorSnapshotUtil.writeStateHandle(writer.write(), file.toString());
        }
        return OperatorSnapshotUtil.readStateHandle(file.toString());
    }

    private static <OUT> KeyedOneInputStreamOperatorTestHarness<String, Trajectory, OUT> open(
            OneInputStreamOperator<Trajectory, OUT> operator, OperatorSubtaskState restore) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(operator, (Trajectory t) -> t.key().asString(), Types.STRING);
        h.setStateBackend(new HashMapStateBackend()); // heap snapshots are self-contained files
        h.setup();
        if (restore != null) {
            h.initializeState(restore);
        }
        h.open();
        return h;
    }

    private static void feed(KeyedOneInputStreamOperatorTestHarness<String, Trajectory, ?> h, List<Trajectory> input)
            throws Exception {
        for (Trajectory t : input) {
            h.processElement(new StreamRecord<>(t, t.timestamp()));
        }
    }

    private static List<AdapterUpdate> updates(KeyedOneInputStreamOperatorTestHarness<String, Trajectory, Trajectory> h) {
        List<AdapterUpdate> out = new ArrayList<>();
        var queue = h.getSideOutput(InstantLoopFunction.MICRO_UPDATES);
        if (queue != null) {
            queue.forEach(r -> out.add(r.getValue()));
        }
        return out;
    }

    private static void assertSameUpdates(List<AdapterUpdate> actual, List<AdapterUpdate> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(actual.get(i).key()).isEqualTo(expected.get(i).key());
            assertThat(actual.get(i).version()).isEqualTo(expected.get(i).version());
            assertThat(actual.get(i).parentVersion()).isEqualTo(expected.get(i).parentVersion());
            assertThat(Arrays.deepEquals(actual.get(i).weights(), expected.get(i).weights())).isTrue();
            assertThat(actual.get(i).metrics()).isEqualTo(expected.get(i).metrics());
        }
    }

    /** Corrections {@code y = 1.1 x} for two keys, events {@code from .. from + n}. */
    private static List<Trajectory> corrections(int from, int n) {
        List<Trajectory> out = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            DeterministicRandom random = new DeterministicRandom(i);
            AdapterKey key = i % 2 == 0 ? ACME : GLOBEX;
            float[] x = new float[DIM];
            float[] y = new float[DIM];
            for (int j = 0; j < DIM; j++) {
                x[j] = (float) random.nextGaussian();
                y[j] = 1.1f * x[j];
            }
            out.add(new Trajectory("c-" + i, key, i, x, "route-" + (i % 3), Map.of(), Map.of(), null, 0.7f, y, 1f));
        }
        return out;
    }

    /** Points around three planted centres for one key, events {@code from .. from + n}. */
    private static List<Trajectory> planted(int from, int n) {
        DeterministicRandom centres = new DeterministicRandom(99);
        float[][] c = new float[3][DIM];
        for (float[] centre : c) {
            for (int j = 0; j < DIM; j++) {
                centre[j] = (float) centres.nextGaussian();
            }
        }
        List<Trajectory> out = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            DeterministicRandom random = new DeterministicRandom(1_000 + i);
            float[] x = new float[DIM];
            for (int j = 0; j < DIM; j++) {
                x[j] = c[i % 3][j] + (float) (0.05 * random.nextGaussian());
            }
            float[] target = i % 4 == 0 ? x.clone() : null;
            out.add(new Trajectory("p-" + i, ACME, i, x, "route-" + (i % 3), Map.of(), Map.of(), null,
                    0.8f, target, 1f));
        }
        return out;
    }
}
