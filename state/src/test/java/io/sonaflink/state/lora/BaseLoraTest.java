package io.sonaflink.state.lora;

import io.sonaflink.state.ewc.EwcConfig;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.testing.Fixtures;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BaseLoraTest {

    private static final int DIM = 64;

    /** A rank-4 linear target is learnable by the rank-8 adapter: held-out loss must halve at least. */
    @Test
    void learnsALowRankTargetOnHeldOutData() {
        DeterministicRandom random = new DeterministicRandom(41);
        int targetRank = 4;
        float[] u = Fixtures.gaussian(DIM, targetRank, 1.0 / Math.sqrt(DIM), random);
        float[] v = Fixtures.gaussian(DIM, targetRank, 1.0 / Math.sqrt(DIM), random);
        List<TrainingExample> heldOut = lowRankExamples(500, u, v, targetRank, random);
        BaseLora base = BaseLora.create(DIM, BaseLoraConfig.DEFAULT, EwcConfig.DEFAULT, 3L);

        float initial = base.meanLoss(heldOut);
        TrainingReport last = null;
        for (int cycle = 0; cycle < 20; cycle++) {
            last = base.train(lowRankExamples(2000, u, v, targetRank, random), BaseLoraConfig.DEFAULT, EwcConfig.DEFAULT);
        }
        float trained = base.meanLoss(heldOut);

        assertThat(last.lossAfter()).isLessThan(last.lossBefore());
        assertThat(trained).as("held-out loss %s -> %s", initial, trained).isLessThan(0.5f * initial);
        assertThat(base.cycles()).isEqualTo(20);
    }

    @Test
    void trainingIsDeterministic() {
        DeterministicRandom ra = new DeterministicRandom(6);
        DeterministicRandom rb = new DeterministicRandom(6);
        float[] u = Fixtures.gaussian(DIM, 2, 0.1, new DeterministicRandom(1));
        float[] v = Fixtures.gaussian(DIM, 2, 0.1, new DeterministicRandom(2));
        BaseLora a = BaseLora.create(DIM, BaseLoraConfig.DEFAULT, EwcConfig.DEFAULT, 5L);
        BaseLora b = a.copy();
        for (int cycle = 0; cycle < 3; cycle++) {
            a.train(lowRankExamples(100, u, v, 2, ra), BaseLoraConfig.DEFAULT, EwcConfig.DEFAULT);
            b.train(lowRankExamples(100, u, v, 2, rb), BaseLoraConfig.DEFAULT, EwcConfig.DEFAULT);
        }
        assertThat(a).isEqualTo(b);
    }

    @Test
    void emptyBatchChangesNothing() {
        BaseLora base = BaseLora.create(DIM, BaseLoraConfig.DEFAULT, EwcConfig.DEFAULT, 5L);
        BaseLora before = base.copy();
        TrainingReport report = base.train(List.of(), BaseLoraConfig.DEFAULT, EwcConfig.DEFAULT);
        assertThat(report.examples()).isZero();
        assertThat(base).isEqualTo(before);
    }

    static List<TrainingExample> lowRankExamples(int n, float[] u, float[] v, int rank, DeterministicRandom random) {
        int dim = u.length / rank;
        List<TrainingExample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] x = Fixtures.gaussianVector(dim, 1.0, random);
            out.add(new TrainingExample(x, Fixtures.applyLowRank(x, u, v, rank), 1f));
        }
        return out;
    }
}
