package io.sonaflink.operators.instant;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.LoraWorkspace;
import io.sonaflink.state.lora.MicroLoraConfig;
import io.sonaflink.state.math.DeterministicRandom;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;

/** Trajectories with planted per-key corrections, and harnesses of the instant loop on RocksDB. */
final class InstantLoopFixtures {

    static final int DIM = 16;
    static final AdapterKey KEY_A = new AdapterKey("acme", "analyst", "sql");
    static final AdapterKey KEY_B = new AdapterKey("globex", "support", "billing");
    static final MicroLoraConfig MICRO = new MicroLoraConfig(2, 2f, 0.01f, 1);

    private InstantLoopFixtures() {}

    static InstantLoopConfig config(int publishEveryUpdates, long publishIntervalMs) {
        return new InstantLoopConfig(DIM, MICRO, 8, publishEveryUpdates, publishIntervalMs, 7L);
    }

    /** A harness over the function on RocksDB with generic types disabled, not yet opened. */
    static KeyedOneInputStreamOperatorTestHarness<String, Trajectory, Trajectory> harness(InstantLoopConfig config)
            throws Exception {
        return harness(config, new EmbeddedRocksDBStateBackend());
    }

    /** A harness over the function on {@code backend} with generic types disabled, not yet opened. */
    static KeyedOneInputStreamOperatorTestHarness<String, Trajectory, Trajectory> harness(
            InstantLoopConfig config, StateBackend backend) throws Exception {
        KeySelector<Trajectory, String> byKey = t -> t.key().asString();
        KeyedOneInputStreamOperatorTestHarness<String, Trajectory, Trajectory> harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(new InstantLoopFunction(config)), byKey, Types.STRING);
        harness.setStateBackend(backend);
        SerializerConfigImpl serializerConfig = (SerializerConfigImpl) harness.getExecutionConfig().getSerializerConfig();
        serializerConfig.setGenericTypes(false);
        harness.setup(EventCodecs.TRAJECTORY.createSerializer(serializerConfig));
        return harness;
    }

    static void process(KeyedOneInputStreamOperatorTestHarness<String, Trajectory, Trajectory> harness,
            List<Trajectory> trajectories) throws Exception {
        for (Trajectory t : trajectories) {
            harness.processElement(new StreamRecord<>(t, t.timestamp()));
        }
    }

    static List<AdapterUpdate> updates(KeyedOneInputStreamOperatorTestHarness<String, Trajectory, Trajectory> h) {
        Queue<StreamRecord<AdapterUpdate>> queue = h.getSideOutput(InstantLoopFunction.MICRO_UPDATES);
        List<AdapterUpdate> values = new ArrayList<>();
        if (queue != null) {
            queue.forEach(r -> values.add(r.getValue()));
        }
        return values;
    }

    static List<AdapterUpdate> updatesOf(List<AdapterUpdate> updates, AdapterKey key) {
        return updates.stream().filter(u -> u.key().equals(key)).toList();
    }

    /** A key's planted correction {@code y = x + U V^T x}: rank 2, so a MicroLoRA can learn it. */
    static final class PlantedCorrection {
        final AdapterKey key;
        final float[][] u;
        final float[][] v;
        final List<float[]> inputs = new ArrayList<>();

        PlantedCorrection(AdapterKey key, long seed, int examples) {
            this.key = key;
            DeterministicRandom random = new DeterministicRandom(seed);
            u = new float[2][];
            v = new float[2][];
            for (int k = 0; k < 2; k++) {
                u[k] = gaussian(DIM, 1.0 / Math.sqrt(DIM), random);
                v[k] = gaussian(DIM, 1.0 / Math.sqrt(DIM), random);
            }
            for (int i = 0; i < examples; i++) {
                inputs.add(gaussian(DIM, 1.0, random));
            }
        }

        float[] target(float[] x) {
            float[] y = x.clone();
            for (int k = 0; k < 2; k++) {
                double vx = 0;
                for (int j = 0; j < DIM; j++) {
                    vx += v[k][j] * x[j];
                }
                for (int i = 0; i < DIM; i++) {
                    y[i] += (float) (u[k][i] * vx);
                }
            }
            return y;
        }

        Trajectory correction(int example, long timestamp) {
            float[] x = inputs.get(example);
            return trajectory(key, "c-" + key.tenant() + "-" + timestamp, timestamp, x, target(x), 0.4f);
        }

        /** Mean loss of {@code adapter} on this key's examples. */
        double meanLoss(LoraAdapter adapter) {
            LoraWorkspace ws = adapter.newWorkspace();
            double sum = 0;
            for (float[] x : inputs) {
                sum += adapter.loss(x, target(x), 1f, ws);
            }
            return sum / inputs.size();
        }
    }

    static Trajectory trajectory(AdapterKey key, String id, long timestamp, float[] embedding, float[] target,
            float quality) {
        return new Trajectory(id, key, timestamp, embedding, "route-" + (timestamp % 3),
                Map.of("plan", "p" + (timestamp % 2)), Map.of("k", (double) (timestamp % 5)), null, quality, target,
                1f);
    }

    /** A trajectory with no target: feeds the bandit and the counters, never the MicroLoRA. */
    static Trajectory plain(AdapterKey key, long timestamp) {
        float[] x = gaussian(DIM, 1.0, new DeterministicRandom(timestamp));
        return trajectory(key, "t-" + key.tenant() + "-" + timestamp, timestamp, x, null, 0.9f);
    }

    /**
     * Rounds of interleaved traffic: per round, one correction of each key for each of its
     * examples, and a plain trajectory of key A after every third correction.
     */
    static List<Trajectory> interleaved(PlantedCorrection a, PlantedCorrection b, int rounds, long startTimestamp) {
        List<Trajectory> out = new ArrayList<>();
        long ts = startTimestamp;
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < a.inputs.size(); i++) {
                out.add(a.correction(i, ts++));
                out.add(b.correction(i % b.inputs.size(), ts++));
                if (i % 3 == 2) {
                    out.add(plain(KEY_A, ts++));
                }
            }
        }
        return out;
    }

    static float[] gaussian(int dim, double sigma, DeterministicRandom random) {
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) (sigma * random.nextGaussian());
        }
        return v;
    }
}
