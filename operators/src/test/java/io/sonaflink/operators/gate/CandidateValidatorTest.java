package io.sonaflink.operators.gate;

import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.state.lora.LoraAdapter;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class CandidateValidatorTest {

    private final GateFixtures fixtures = new GateFixtures();

    @Test
    void qualityAndRetentionMatchTheClosedFormOfThePlantedTask() {
        List<Trajectory> heldOut = heldOut(40);
        var verdict = new CandidateValidator(0.95, 20).validate(heldOut, adapter(0.5f), adapter(1f), "champion v3");

        assertThat(verdict.examples()).isEqualTo(40);
        assertThat(verdict.candidateQuality()).isCloseTo(GateFixtures.quality(0.5), within(1e-5));
        assertThat(verdict.championQuality()).isCloseTo(1.0, within(1e-5));
        assertThat(verdict.retention()).isCloseTo(0.75, within(1e-5));
        assertThat(verdict.accepted()).isFalse();
        assertThat(verdict.reason()).contains("retention 0.7500 < 0.9500", "v3", "40 held-out");
    }

    @Test
    void identityLossIsComputedIndependently() {
        List<Trajectory> heldOut = heldOut(25);
        double expected = 0;
        for (Trajectory t : heldOut) {
            double sq = 0;
            for (int i = 0; i < GateFixtures.DIM; i++) {
                double d = t.embedding()[i] - t.target()[i];
                sq += d * d;
            }
            expected += 0.5 * t.weight() * sq;
        }
        expected /= heldOut.size();

        var verdict = new CandidateValidator(0.95, 20).validate(heldOut, adapter(0f), null, null);

        assertThat(verdict.identityLoss()).isCloseTo(expected, within(1e-6));
        assertThat(verdict.candidateLoss()).isCloseTo(expected, within(1e-6)); // B = 0 is the identity
        assertThat(verdict.accepted()).isTrue(); // no worse than the identity
    }

    @Test
    void betterCandidatePassesAndRetentionAtTheThresholdPasses() {
        List<Trajectory> heldOut = heldOut(30);
        var better = new CandidateValidator(0.95, 20).validate(heldOut, adapter(1f), adapter(0.5f), "champion v1");
        assertThat(better.accepted()).isTrue();
        // q(0.5) / q(0.5) = 1: equal quality passes any threshold up to 1
        var equal = new CandidateValidator(1.0, 20).validate(heldOut, adapter(0.5f), adapter(0.5f), "champion v1");
        assertThat(equal.accepted()).isTrue();
    }

    @Test
    void withoutAChampionOrWithFewExamplesTheIdentityIsTheBar() {
        var validator = new CandidateValidator(0.95, 20);
        var worse = validator.validate(heldOut(30), adapter(-1f), null, null);
        assertThat(worse.accepted()).isFalse();
        assertThat(worse.reason()).contains("no champion");
        assertThat(worse.candidateQuality()).isCloseTo(GateFixtures.quality(-1), within(1e-4));

        // with only 5 examples a candidate worse than the champion passes if it beats the identity
        var few = validator.validate(heldOut(5), adapter(0.2f), adapter(1f), "champion v4");
        assertThat(few.accepted()).isTrue();
        assertThat(few.retention()).isNaN();
        assertThat(few.reason()).contains("only 5 held-out (< minHeldOut 20)");
    }

    @Test
    void championWorseThanTheIdentityIsComparedThroughTheIdentity() {
        var verdict =
                new CandidateValidator(0.95, 20).validate(heldOut(30), adapter(0.1f), adapter(-1f), "champion v2");
        assertThat(verdict.accepted()).isTrue();
        assertThat(verdict.reason()).contains("champion v2 is no better than the identity");
    }

    @Test
    void nonFiniteWeightsAndMismatchedDimensionsAreHandledWithoutExceptions() {
        LoraAdapter broken = adapter(1f);
        broken.weights()[1][0] = Float.NaN;
        var verdict = new CandidateValidator(0.95, 0).validate(heldOut(30), broken, null, null);
        assertThat(verdict.accepted()).isFalse();
        assertThat(verdict.reason()).contains("non-finite");

        LoraAdapter wide = LoraAdapter.initialize(GateFixtures.DIM + 1, 1, 1, 1f, 1L);
        var mismatch = new CandidateValidator(0.95, 20).validate(heldOut(30), wide, adapter(1f), "champion v1");
        assertThat(mismatch.accepted()).isFalse();
        assertThat(mismatch.reason()).contains("dimension 5 matches none of the 30 held-out");
    }

    private List<Trajectory> heldOut(int n) {
        List<Trajectory> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(fixtures.trajectory(0.5f));
        }
        return list;
    }

    private static LoraAdapter adapter(float bScale) {
        AdapterUpdate u = GateFixtures.candidate(1, bScale);
        return u.toAdapter();
    }
}
