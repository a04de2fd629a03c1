package io.sonaflink.state.cycle;

import io.sonaflink.state.bank.MergeReport;
import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.lora.BaseLora;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.sample.TrajectorySample;
import io.sonaflink.state.testing.Fixtures;
import io.sonaflink.state.testing.Fixtures.PlantedClusters;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class BackgroundLearnerTest {

    private static final int DIM = 32;
    private static final int CLUSTERS = 5;
    private static final BackgroundConfig CONFIG = BackgroundConfig.DEFAULT.withPatternClusters(CLUSTERS);

    /** A window over planted clusters: every 7th sample is poor, every 11th carries a target. */
    private record Window(PlantedClusters planted, List<TrajectorySample> samples) {}

    private static Window window(long seed) {
        DeterministicRandom random = new DeterministicRandom(seed);
        PlantedClusters planted = Fixtures.plantedClusters(1000, DIM, CLUSTERS, 1.0, 0.15, random);
        List<TrajectorySample> samples = new ArrayList<>(planted.n());
        for (int i = 0; i < planted.n(); i++) {
            float quality;
            if (i % 7 == 0) {
                quality = (float) (0.29 * random.nextDouble()); // below the 0.3 threshold
            } else if (i == 1) {
                quality = 0.3f; // exactly at the threshold: qualifies
            } else {
                quality = (float) (0.5 + 0.45 * random.nextDouble());
            }
            float[] x = planted.point(i);
            float[] target = null;
            if (i % 11 == 0) {
                target = x.clone();
                for (int j = 0; j < DIM; j++) {
                    target[j] += (float) (0.1 * random.nextGaussian());
                }
            }
            float weight = i % 3 == 0 ? 0.5f : 1f;
            samples.add(new TrajectorySample(
                    x, target, weight, quality, "route-" + planted.labels()[i], Map.of("tier", "t" + (i % 2)),
                    Map.of("temperature", 0.1 * planted.labels()[i])));
        }
        return new Window(planted, samples);
    }

    @Test
    void oneCycleLearnsThePlantedPatterns() {
        Window w = window(31L);
        List<TrajectorySample> samples = w.samples();
        PlantedClusters planted = w.planted();
        ReasoningBank bank = ReasoningBank.create(DIM);
        BaseLora lora = BaseLora.create(DIM, CONFIG.baseLora(), CONFIG.ewc(), 4L);

        CycleReport report = BackgroundLearner.runCycle(samples, bank, lora, CONFIG, 1L, 99L);

        // Independent expectations from the raw window.
        int qualified = 0;
        int[] qualifiedPerLabel = new int[CLUSTERS];
        double[] qualitySum = new double[CLUSTERS];
        int withTarget = 0;
        for (int i = 0; i < samples.size(); i++) {
            TrajectorySample s = samples.get(i);
            if (s.hasTarget()) {
                withTarget++;
            }
            if (s.quality() >= 0.3f) {
                qualified++;
                qualifiedPerLabel[planted.labels()[i]]++;
                qualitySum[planted.labels()[i]] += s.quality();
            }
        }
        assertThat(qualified).isEqualTo(1000 - 143); // 143 multiples of 7 in [0, 1000)
        assertThat(withTarget).isEqualTo(91);

        assertThat(report.cycle()).isEqualTo(1L);
        assertThat(report.samples()).isEqualTo(1000);
        assertThat(report.qualified()).isEqualTo(qualified);
        assertThat(report.kmeansIterations()).isPositive();
        assertThat(report.extracted()).hasSize(CLUSTERS);
        assertThat(report.merge()).isEqualTo(new MergeReport(CLUSTERS, 0, 0, 0, 0, 0, 0));
        assertThat(bank.size()).isEqualTo(CLUSTERS);

        // Each extracted pattern is one planted cluster, holding exactly its qualified members.
        Set<Integer> labelsSeen = new HashSet<>();
        for (Pattern p : report.extracted()) {
            int label = nearestCentre(planted, p.centroid());
            labelsSeen.add(label);
            assertThat(p.sampleCount()).as("cluster %d", label).isEqualTo(qualifiedPerLabel[label]);
            assertThat(p.qualityMean()).isCloseTo(qualitySum[label] / qualifiedPerLabel[label], within(1e-9));
            assertThat(p.route()).isEqualTo("route-" + label);
            assertThat(p.numericParams().get("temperature")).isCloseTo(0.1 * label, within(1e-9));
            assertThat(p.createdCycle()).isEqualTo(1L);
        }
        assertThat(labelsSeen).hasSize(CLUSTERS);

        // The bank separates the clusters: every qualified sample finds its own cluster's pattern.
        int[] labels = new int[qualified];
        int[] found = new int[qualified];
        int q = 0;
        for (int i = 0; i < samples.size(); i++) {
            if (samples.get(i).quality() >= 0.3f) {
                labels[q] = planted.labels()[i];
                found[q++] = (int) bank.findBest(samples.get(i).embedding()).pattern().id();
            }
        }
        assertThat(Fixtures.adjustedRandIndex(labels, found)).isGreaterThanOrEqualTo(0.99);

        // Training used exactly the targeted samples (poor ones included): a trajectory nobody
        // corrected has no target to learn.
        assertThat(report.training().examples()).isEqualTo(withTarget);
        assertThat(lora.cycles()).isEqualTo(1L);
    }

    @Test
    void aPoorWindowStillTrainsOnItsTargets() {
        Window w = window(32L);
        List<TrajectorySample> poor = new ArrayList<>();
        int targets = 0;
        for (TrajectorySample s : w.samples()) {
            poor.add(new TrajectorySample(s.embedding(), s.target(), s.weight(), 0.1f, s.route(), Map.of(), Map.of()));
            targets += s.hasTarget() ? 1 : 0;
        }
        ReasoningBank bank = ReasoningBank.create(DIM);
        BaseLora lora = BaseLora.create(DIM, CONFIG.baseLora(), CONFIG.ewc(), 4L);

        CycleReport report = BackgroundLearner.runCycle(poor, bank, lora, CONFIG, 3L, 1L);
        assertThat(report.qualified()).isZero();
        assertThat(report.extracted()).isEmpty();
        assertThat(bank.size()).isZero();
        assertThat(report.training().examples()).isEqualTo(targets).isEqualTo(91);
    }

    @Test
    void aSampleOfTheWrongDimensionIsRejectedBeforeAnythingChanges() {
        List<TrajectorySample> samples = new ArrayList<>(window(33L).samples());
        samples.add(500, TrajectorySample.of(new float[DIM - 1], 0.9f, "route-x"));
        ReasoningBank bank = ReasoningBank.create(DIM);
        BaseLora lora = BaseLora.create(DIM, CONFIG.baseLora(), CONFIG.ewc(), 4L);
        BaseLora before = lora.copy();

        assertThatThrownBy(() -> BackgroundLearner.runCycle(samples, bank, lora, CONFIG, 1L, 1L))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(bank.size()).isZero();
        assertThat(lora).isEqualTo(before);
    }

    @Test
    void anEmptyWindowTrainsNothing() {
        ReasoningBank bank = ReasoningBank.create(DIM);
        BaseLora lora = BaseLora.create(DIM, CONFIG.baseLora(), CONFIG.ewc(), 4L);
        BaseLora before = lora.copy();

        CycleReport report = BackgroundLearner.runCycle(List.of(), bank, lora, CONFIG, 2L, 1L);
        assertThat(report.samples()).isZero();
        assertThat(report.qualified()).isZero();
        assertThat(report.extracted()).isEmpty();
        assertThat(report.kmeansIterations()).isZero();
        assertThat(report.merge()).isEqualTo(MergeReport.NONE);
        assertThat(report.training().examples()).isZero();
        assertThat(bank.size()).isZero();
        assertThat(lora).isEqualTo(before);
        assertThat(lora.cycles()).isZero();
    }

    private static int nearestCentre(PlantedClusters planted, float[] x) {
        int best = -1;
        double bestDistance = Double.MAX_VALUE;
        for (int c = 0; c < planted.clusters(); c++) {
            float[] centre = planted.centre(c);
            double d = 0;
            for (int j = 0; j < x.length; j++) {
                d += (x[j] - centre[j]) * (double) (x[j] - centre[j]);
            }
            if (d < bestDistance) {
                bestDistance = d;
                best = c;
            }
        }
        return best;
    }
}
