package io.sonaflink.operators.instant;

import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.MicroLora;
import io.sonaflink.state.lora.MicroLoraConfig;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.serving.ServedModel;
import io.sonaflink.state.testing.Fixtures;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class InstantLoopTest {

    private static final int DIM = 16;
    private static final InstantLoopConfig CONFIG =
            new InstantLoopConfig(DIM, new MicroLoraConfig(2, 2f, 0.05f, 1), 10, 0L, 3L);

    /**
     * One step of the loop is one SGD step on the served loss with the base held fixed: the same
     * weights as a step of a reference that differentiates {@code 1/2 ||x + Δb(x) + Δm(x) - y||^2}
     * by finite differences.
     */
    @Test
    void aStepDescendsTheServedLossWithTheBaseFixed() {
        DeterministicRandom random = new DeterministicRandom(1);
        LoraAdapter base = LoraAdapter.initialize(DIM, 4, 1, 8f, 5L);
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < DIM; i++) {
                base.bColumn(0, k)[i] = (float) (0.2 * random.nextGaussian());
            }
        }
        MicroLora micro = MicroLora.create(DIM, CONFIG.micro(), 9L);
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < DIM; i++) {
                micro.adapter().bColumn(0, k)[i] = (float) (0.1 * random.nextGaussian());
            }
        }
        float[] x = Fixtures.gaussianVector(DIM, 1.0, random);
        float[] y = Fixtures.gaussianVector(DIM, 1.0, random);
        LoraAdapter before = micro.adapter().copy();

        float loss = new InstantLoop(CONFIG).learn(micro, base, x, y, 0.5f);

        assertThat(loss).isCloseTo(new ServedModel(base, before).loss(x, y, 0.5f,
                new ServedModel(base, before).newWorkspace()), within(1e-5f));
        double h = 1e-3;
        float lr = CONFIG.micro().learningRate();
        float[][] w = before.weights();
        for (int r = 0; r < w.length; r++) {
            for (int c = 0; c < DIM; c++) {
                float keep = w[r][c];
                w[r][c] = (float) (keep + h);
                double plus = servedLoss(base, before, x, y);
                w[r][c] = (float) (keep - h);
                double minus = servedLoss(base, before, x, y);
                w[r][c] = keep;
                double expected = keep - lr * 0.5 * (plus - minus) / (2 * h);
                assertThat((double) micro.adapter().weights()[r][c]).isCloseTo(expected, within(2e-4));
            }
        }
    }

    @Test
    void rebaseRestartsFromTheIdentityAndKeepsTheProjection() {
        MicroLora micro = MicroLora.create(DIM, CONFIG.micro(), 9L);
        DeterministicRandom random = new DeterministicRandom(2);
        InstantLoop loop = new InstantLoop(CONFIG);
        for (int n = 0; n < 20; n++) {
            loop.learn(micro, null, Fixtures.gaussianVector(DIM, 1.0, random), Fixtures.gaussianVector(DIM, 1.0, random),
                    1f);
        }
        float[] a = micro.adapter().aRow(0, 0).clone();
        long flushes = micro.flushes();
        InstantLoop.rebase(micro);
        float[] x = Fixtures.gaussianVector(DIM, 1.0, random);
        assertThat(micro.adapter().apply(x)).containsExactly(x);
        assertThat(micro.adapter().aRow(0, 0)).containsExactly(a);
        assertThat(micro.flushes()).isEqualTo(flushes);
    }

    private static double servedLoss(LoraAdapter base, LoraAdapter micro, float[] x, float[] y) {
        float[] out = new ServedModel(base, micro).apply(x);
        double sum = 0;
        for (int i = 0; i < DIM; i++) {
            double d = (double) out[i] - y[i];
            sum += d * d;
        }
        return 0.5 * sum;
    }
}
