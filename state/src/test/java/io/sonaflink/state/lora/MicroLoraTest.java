package io.sonaflink.state.lora;

import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.testing.Fixtures;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MicroLoraTest {

    private static final int DIM = 256;

    @Test
    void oneStepReducesTheLossOnThatExample() {
        DeterministicRandom random = new DeterministicRandom(3);
        MicroLora micro = MicroLora.create(DIM, MicroLoraConfig.DEFAULT, 17L);
        LoraWorkspace ws = micro.adapter().newWorkspace();
        for (int trial = 0; trial < 20; trial++) {
            float[] x = Fixtures.gaussianVector(DIM, 1.0, random);
            float[] y = Fixtures.gaussianVector(DIM, 1.0, random);
            float before = micro.observe(x, y, 1f, MicroLoraConfig.DEFAULT, ws);
            float after = micro.adapter().loss(x, y, 1f, ws);
            assertThat(after).as("trial %d", trial).isLessThan(before);
        }
    }

    /** Corrections toward a fixed rank-2 linear target, at the default learning rate 0.002. */
    @Test
    void streamOfCorrectionsReducesHeldOutLoss() {
        DeterministicRandom random = new DeterministicRandom(5);
        int rank = 2;
        float[] u = Fixtures.gaussian(DIM, rank, 1.0 / Math.sqrt(DIM), random);
        float[] v = Fixtures.gaussian(DIM, rank, 1.0 / Math.sqrt(DIM), random);
        List<float[][]> heldOut = examples(200, u, v, rank, random);
        MicroLora micro = MicroLora.create(DIM, MicroLoraConfig.DEFAULT, 23L);
        LoraWorkspace ws = micro.adapter().newWorkspace();

        double initial = meanLoss(micro.adapter(), heldOut, ws);
        for (float[][] e : examples(4000, u, v, rank, random)) {
            micro.observe(e[0], e[1], 1f, MicroLoraConfig.DEFAULT, ws);
        }
        double trained = meanLoss(micro.adapter(), heldOut, ws);

        assertThat(micro.flushes()).isEqualTo(4000);
        assertThat(trained).as("held-out loss %s -> %s", initial, trained).isLessThan(0.5 * initial);
    }

    @Test
    void flushingEveryNEventsAppliesTheSumOfTheirGradients() {
        DeterministicRandom random = new DeterministicRandom(8);
        MicroLoraConfig every4 = new MicroLoraConfig(2, 2f, 0.002f, 4);
        MicroLora micro = MicroLora.create(32, every4, 1L);
        LoraAdapter reference = micro.adapter().copy();
        float[][] sum = reference.newBlocks();
        LoraWorkspace ws = micro.adapter().newWorkspace();
        for (int i = 0; i < 3; i++) {
            float[] x = Fixtures.gaussianVector(32, 1.0, random);
            float[] y = Fixtures.gaussianVector(32, 1.0, random);
            micro.observe(x, y, 1f, every4, ws);
            reference.accumulateGradient(x, y, 1f, sum, reference.newWorkspace());
        }
        assertThat(micro.pendingEvents()).isEqualTo(3);
        assertThat(micro.adapter().weights()).isDeepEqualTo(reference.weights()); // nothing applied yet
        float[] x = Fixtures.gaussianVector(32, 1.0, random);
        float[] y = Fixtures.gaussianVector(32, 1.0, random);
        micro.observe(x, y, 1f, every4, ws); // the fourth event flushes
        reference.accumulateGradient(x, y, 1f, sum, reference.newWorkspace());
        for (int r = 0; r < sum.length; r++) {
            for (int i = 0; i < sum[r].length; i++) {
                reference.weights()[r][i] -= 0.002f * sum[r][i];
            }
        }
        assertThat(micro.pendingEvents()).isZero();
        assertThat(micro.flushes()).isEqualTo(1);
        assertThat(micro.adapter().weights()).isDeepEqualTo(reference.weights());
    }

    @Test
    void replayingTheSameEventsReproducesTheWeightsBitForBit() {
        MicroLora a = MicroLora.create(64, MicroLoraConfig.DEFAULT, 9L);
        MicroLora b = MicroLora.create(64, MicroLoraConfig.DEFAULT, 9L);
        DeterministicRandom ra = new DeterministicRandom(77);
        DeterministicRandom rb = new DeterministicRandom(77);
        for (int i = 0; i < 100; i++) {
            a.observe(Fixtures.gaussianVector(64, 1, ra), Fixtures.gaussianVector(64, 1, ra), 0.5f,
                    MicroLoraConfig.DEFAULT, a.adapter().newWorkspace());
            b.observe(Fixtures.gaussianVector(64, 1, rb), Fixtures.gaussianVector(64, 1, rb), 0.5f,
                    MicroLoraConfig.DEFAULT, b.adapter().newWorkspace());
        }
        assertThat(a).isEqualTo(b);
    }

    static List<float[][]> examples(int n, float[] u, float[] v, int rank, DeterministicRandom random) {
        int dim = u.length / rank;
        List<float[][]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] x = Fixtures.gaussianVector(dim, 1.0, random);
            out.add(new float[][] {x, Fixtures.applyLowRank(x, u, v, rank)});
        }
        return out;
    }

    static double meanLoss(LoraAdapter adapter, List<float[][]> examples, LoraWorkspace ws) {
        double sum = 0;
        for (float[][] e : examples) {
            sum += adapter.loss(e[0], e[1], 1f, ws);
        }
        return sum / examples.size();
    }
}
