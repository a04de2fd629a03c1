package io.sonaflink.state.serving;

import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.testing.Fixtures;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ServedModelTest {

    private static final int DIM = 16;

    @Test
    void servesTheInputPlusBothChanges() {
        DeterministicRandom random = new DeterministicRandom(3);
        LoraAdapter base = learned(8, random);
        LoraAdapter micro = learned(2, random);
        float[] x = Fixtures.gaussianVector(DIM, 1.0, random);
        float[] fb = base.apply(x);
        float[] fm = micro.apply(x);

        float[] served = new ServedModel(base, micro).apply(x);
        for (int i = 0; i < DIM; i++) {
            assertThat(served[i]).isCloseTo(x[i] + (fb[i] - x[i]) + (fm[i] - x[i]), within(1e-5f));
        }
        assertThat(new ServedModel(base, null).apply(x)).containsExactly(fb, within(1e-6f));
        assertThat(new ServedModel(null, micro).apply(x)).containsExactly(fm, within(1e-6f));
        assertThat(ServedModel.IDENTITY.apply(x)).containsExactly(x);
    }

    /** Fitting the micro target with MicroLoRA's own loss is fitting the stack: the losses agree. */
    @Test
    void microTargetMakesTheMicroLossTheServedLoss() {
        DeterministicRandom random = new DeterministicRandom(4);
        LoraAdapter base = learned(8, random);
        LoraAdapter micro = learned(2, random);
        ServedModel served = new ServedModel(base, micro);
        ServedModel.Workspace ws = served.newWorkspace();
        for (int n = 0; n < 20; n++) {
            float[] x = Fixtures.gaussianVector(DIM, 1.0, random);
            float[] y = Fixtures.gaussianVector(DIM, 1.0, random);
            float[] target = new float[DIM];
            served.microTarget(x, y, target, ws);
            float microLoss = micro.loss(x, target, 0.7f, micro.newWorkspace());
            assertThat(served.loss(x, y, 0.7f, ws)).isCloseTo(microLoss, within(1e-4f * Math.max(1f, microLoss)));
        }
    }

    @Test
    void anAdapterOfAnotherDimensionIsTheIdentity() {
        DeterministicRandom random = new DeterministicRandom(5);
        LoraAdapter micro = learned(2, random);
        float[] narrow = Fixtures.gaussianVector(DIM / 2, 1.0, random);
        assertThat(new ServedModel(null, micro).apply(narrow)).containsExactly(narrow);
        assertThatThrownBy(() -> new ServedModel(LoraAdapter.initialize(DIM / 2, 2, 1, 2f, 1L), micro))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static LoraAdapter learned(int rank, DeterministicRandom random) {
        LoraAdapter adapter = LoraAdapter.initialize(DIM, rank, 1, 2f * rank, random.nextLong());
        for (int k = 0; k < rank; k++) {
            float[] b = adapter.bColumn(0, k);
            for (int i = 0; i < DIM; i++) {
                b[i] = (float) (0.3 * random.nextGaussian());
            }
        }
        return adapter;
    }
}
