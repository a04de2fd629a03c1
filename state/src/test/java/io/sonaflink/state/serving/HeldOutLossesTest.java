package io.sonaflink.state.serving;

import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.TrainingExample;
import io.sonaflink.state.math.DeterministicRandom;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A gate's run of validations with remembered losses gives, bit for bit, the verdicts of
 * validations that compute everything: candidates promoted (the champion then comes back as a new
 * object with the same weights) or rejected, held-out examples replaced between validations, an
 * earlier task's set beside the recent one, a fallback against the identity.
 */
class HeldOutLossesTest {

    private static final int DIM = 8;
    private static final int RANK = 2;

    private final DeterministicRandom random = new DeterministicRandom(11);

    @Test
    void rememberedLossesGiveTheVerdictsOfAFullComputation() {
        ServedModelValidator validator = new ServedModelValidator(0.95, 10);
        HeldOutLosses losses = new HeldOutLosses();
        List<TrainingExample> recent = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            recent.add(example());
        }
        List<TrainingExample> earlierTask = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            earlierTask.add(example());
        }
        ServedModel current = ServedModel.IDENTITY;
        int promoted = 0;
        int rejected = 0;
        for (int round = 0; round < 60; round++) {
            for (int r = random.nextInt(4); r > 0; r--) {
                recent.set(random.nextInt(recent.size()), example()); // the ring turns over
            }
            List<ServedModelValidator.HeldOutSet> sets = List.of(ServedModelValidator.HeldOutSet.recent(recent),
                    new ServedModelValidator.HeldOutSet("task1", earlierTask, 0.2));
            ServedModel candidate = new ServedModel(current.base(), adapter());
            if (round % 7 == 3) {
                candidate = new ServedModel(adapter(), null); // a new base drops the micro
            }
            ServedModelValidator.Verdict remembered = validator.validate(candidate, current, sets, losses);
            assertThat(remembered).isEqualTo(validator.validate(candidate, current, sets));
            if (remembered.accepted()) {
                promoted++;
                current = new ServedModel(readBack(candidate.base()), readBack(candidate.micro()));
            } else {
                rejected++;
                ServedModel fallback = new ServedModel(current.base(), null);
                assertThat(validator.validate(fallback, current, sets, losses))
                        .isEqualTo(validator.validate(fallback, current, sets));
            }
        }
        assertThat(promoted).isPositive();
        assertThat(rejected).isPositive();
    }

    private TrainingExample example() {
        float[] x = vector(1.0);
        float[] y = x.clone();
        y[0] += 0.5f * x[1]; // a low-rank change that some candidates learn
        y[2] -= 0.3f * x[3];
        return new TrainingExample(x, y, 0.5f + (float) random.nextDouble());
    }

    /**
     * The planted change scaled by a random {@code c} in [0, 1.2), plus noise: some candidates
     * are better than the model served, some worse.
     */
    private LoraAdapter adapter() {
        float c = (float) (1.2 * random.nextDouble());
        float[][] weights = new float[2 * RANK][];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = vector(0.02);
        }
        weights[0][1] += 1f; // A: reads x1 and x3
        weights[1][3] += 1f;
        weights[2][0] += 0.5f * c; // B: writes to y0 and y2
        weights[3][2] -= 0.3f * c;
        return new LoraAdapter(DIM, RANK, 1, RANK, weights);
    }

    /** The same adapter as a new object, as a published version read back from state is. */
    private static LoraAdapter readBack(LoraAdapter adapter) {
        return adapter == null ? null : adapter.copy();
    }

    private float[] vector(double scale) {
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            v[i] = (float) (scale * (2 * random.nextDouble() - 1));
        }
        return v;
    }
}
