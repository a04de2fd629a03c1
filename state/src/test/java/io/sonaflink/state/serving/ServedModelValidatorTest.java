package io.sonaflink.state.serving;

import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.TrainingExample;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.testing.Fixtures;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The gate's judgement on a planted task: targets {@code y = x + u (v . x)}, exactly what a rank-1
 * adapter with {@code A = v}, {@code B = c u} (scale 1) computes at {@code c = 1}. At {@code B = c
 * u} the served loss is {@code (1 - c)^2} times the identity's, so its quality is {@code 1 - (1 -
 * c)^2}: the closed form the validator's numbers are checked against.
 */
class ServedModelValidatorTest {

    private static final int DIM = 4;
    private static final float[] U = {1f, 0f, 0.5f, 0f};
    private static final float[] V = {0f, 1f, 0f, 0.5f};

    private final DeterministicRandom random = new DeterministicRandom(7);

    @Test
    void qualityAndRetentionMatchTheClosedFormAndEveryNumberIsReported() {
        var verdict = new ServedModelValidator(0.95, 20).validate(served(0.5f), served(1f), sets(heldOut(40)));

        var recent = verdict.recent();
        assertThat(recent.examples()).isEqualTo(40);
        assertThat(recent.candidateQuality()).isCloseTo(quality(0.5), within(1e-5));
        assertThat(recent.currentQuality()).isCloseTo(1.0, within(1e-5));
        assertThat(verdict.retention()).isCloseTo(0.75, within(1e-5));
        assertThat(verdict.accepted()).isFalse();
        assertThat(verdict.reason()).contains("recent: 40 held-out, retention 0.7500 < 0.9500");
        assertThat(verdict.metrics()).containsEntry("recent.examples", 40.0)
                .containsKeys("recent.identityLoss", "recent.currentLoss", "recent.candidateLoss", "recent.retention");
    }

    @Test
    void identityLossIsComputedIndependently() {
        List<TrainingExample> heldOut = heldOut(25);
        double expected = 0;
        for (TrainingExample e : heldOut) {
            double sq = 0;
            for (int i = 0; i < DIM; i++) {
                double d = e.input()[i] - e.target()[i];
                sq += d * d;
            }
            expected += 0.5 * e.weight() * sq;
        }
        expected /= heldOut.size();
        var verdict = new ServedModelValidator(0.95, 20).validate(served(0f), ServedModel.IDENTITY, sets(heldOut));
        assertThat(verdict.recent().identityLoss()).isCloseTo(expected, within(1e-6));
        assertThat(verdict.recent().candidateLoss()).isCloseTo(expected, within(1e-6)); // B = 0 is the identity
        assertThat(verdict.accepted()).isTrue(); // no worse than what is served (the identity)
    }

    @Test
    void retentionAtTheThresholdPasses() {
        var equal = new ServedModelValidator(1.0, 20).validate(served(0.5f), served(0.5f), sets(heldOut(30)));
        assertThat(equal.accepted()).isTrue();
        var better = new ServedModelValidator(0.95, 20).validate(served(1f), served(0.5f), sets(heldOut(30)));
        assertThat(better.accepted()).isTrue();
        assertThat(better.retention()).isCloseTo(1.0 / quality(0.5), within(1e-4));
    }

    @Test
    void withFewExamplesOnlyTheIdentityIsTheBar() {
        var validator = new ServedModelValidator(0.95, 20);
        var few = validator.validate(served(0.2f), served(1f), sets(heldOut(5)));
        assertThat(few.accepted()).isTrue(); // worse than served, but better than no adapter
        assertThat(few.retention()).isNaN();
        assertThat(few.reason()).contains("recent: 5 held-out (< minHeldOut 20), loss");
        assertThat(validator.validate(served(-1f), served(1f), sets(heldOut(5))).accepted()).isFalse();
    }

    /** A champion worse than no adapter never blocks a candidate that beats it. */
    @Test
    void aServedModelWorseThanTheIdentityIsBeatenByABetterCandidate() {
        var validator = new ServedModelValidator(0.95, 20);
        var better = validator.validate(served(-0.5f), served(-1f), sets(heldOut(30)));
        assertThat(better.accepted()).isTrue();
        assertThat(better.reason()).contains("served model no better than identity");
        assertThat(validator.validate(served(-1.5f), served(-1f), sets(heldOut(30))).accepted()).isFalse();
    }

    /** The recent set cannot see an earlier task; that task's own set can, and blocks forgetting it. */
    @Test
    void forgettingAnEarlierTaskIsRejectedEvenWhenTheRecentSetImproves() {
        List<TrainingExample> earlier = heldOut(30);
        List<TrainingExample> recentIdentity = new ArrayList<>();
        for (TrainingExample e : heldOut(30)) {
            recentIdentity.add(new TrainingExample(e.input(), e.input(), 1f)); // the new task: no correction
        }
        var validator = new ServedModelValidator(0.95, 20);
        var verdict = validator.validate(served(0f), served(1f), List.of(
                ServedModelValidator.HeldOutSet.recent(recentIdentity),
                new ServedModelValidator.HeldOutSet("task1", earlier, 1.0)));
        assertThat(verdict.accepted()).isFalse();
        assertThat(verdict.scores().get(1).retention()).isCloseTo(0.0, within(1e-5));
        assertThat(verdict.reason()).contains("task1: 30 held-out, retention 0.0000 < 0.9500 of q*=1.0000");
        // without that set the same candidate would pass
        assertThat(validator.validate(served(0f), served(1f), sets(recentIdentity)).accepted()).isTrue();
    }

    /**
     * An earlier task is measured against the quality it had when it ended, so small losses do not
     * add up: each candidate below may lose at most 5 % of that, however many came before it.
     */
    @Test
    void forgettingAnEarlierTaskIsBoundedAcrossManyPromotions() {
        List<TrainingExample> earlier = heldOut(30);
        var validator = new ServedModelValidator(0.95, 20);
        // q(c) = 1 - (1 - c)^2: c = 0.8 keeps 0.96 of q* = 1, c = 0.75 keeps 0.9375
        ServedModel current = served(1f);
        for (float c : new float[] {0.9f, 0.8f}) {
            var step = validator.validate(served(c), current, List.of(ServedModelValidator.HeldOutSet.recent(List.of()),
                    new ServedModelValidator.HeldOutSet("task1", earlier, 1.0)));
            assertThat(step.accepted()).as("c = %s", c).isTrue();
            current = served(c);
        }
        // against the current model alone (q 0.96) this step keeps 0.977 and would pass
        var tooFar = validator.validate(served(0.75f), current, List.of(ServedModelValidator.HeldOutSet.recent(List.of()),
                new ServedModelValidator.HeldOutSet("task1", earlier, 1.0)));
        assertThat(tooFar.accepted()).isFalse();
        // a served model already below the bound only has to get no worse
        var noWorse = validator.validate(served(0.75f), served(0.75f), List.of(
                ServedModelValidator.HeldOutSet.recent(List.of()),
                new ServedModelValidator.HeldOutSet("task1", earlier, 1.0)));
        assertThat(noWorse.accepted()).isTrue();
        assertThat(noWorse.reason()).contains("but no worse than served");
    }

    @Test
    void nonFiniteWeightsAndMismatchedDimensionsAreRejected() {
        LoraAdapter broken = adapter(1f);
        broken.weights()[1][0] = Float.NaN;
        var verdict = new ServedModelValidator(0.95, 0).validate(new ServedModel(broken, null), ServedModel.IDENTITY,
                sets(heldOut(30)));
        assertThat(verdict.accepted()).isFalse();
        assertThat(verdict.reason()).contains("non-finite");

        LoraAdapter wide = LoraAdapter.initialize(DIM + 1, 1, 1, 1f, 1L);
        var mismatch = new ServedModelValidator(0.95, 20).validate(new ServedModel(wide, null), ServedModel.IDENTITY,
                sets(heldOut(30)));
        assertThat(mismatch.accepted()).isFalse();
        assertThat(mismatch.reason()).contains("recent: 0 held-out of the candidate's dimension");
    }

    private static List<ServedModelValidator.HeldOutSet> sets(List<TrainingExample> recent) {
        return List.of(ServedModelValidator.HeldOutSet.recent(recent));
    }

    private List<TrainingExample> heldOut(int n) {
        List<TrainingExample> list = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            float[] x = new float[DIM];
            for (int i = 0; i < DIM; i++) {
                x[i] = (float) (2 * random.nextDouble() - 1);
            }
            list.add(new TrainingExample(x, Fixtures.applyLowRank(x, U, V, 1), 1f));
        }
        return list;
    }

    /** A served model whose base has {@code B = c u}. */
    private static ServedModel served(float c) {
        return new ServedModel(adapter(c), null);
    }

    private static LoraAdapter adapter(float c) {
        float[] b = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            b[i] = c * U[i];
        }
        return new LoraAdapter(DIM, 1, 1, 1f, new float[][] {V.clone(), b});
    }

    private static double quality(double c) {
        return 1 - (1 - c) * (1 - c);
    }
}
