package io.sonaflink.state.cluster;

import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.testing.Fixtures;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ClusterMergerTest {

    private static final int DIM = 16;

    @Test
    void piecesOfOneClusterAreJoined() {
        float[] data = Fixtures.gaussian(800, DIM, 1.0, new DeterministicRandom(1L));
        KMeansResult cut = KMeans.cluster(data, 800, DIM, 8, KMeansConfig.DEFAULT, 2L);

        int[] group = ClusterMerger.merge(data, DIM, cut, 0.5);

        assertThat(groupsOf(group, cut.assignments())).hasSize(1);
    }

    @Test
    void twoClustersCutIntoPiecesStayTwo() {
        float[] data = twoClusters(400, 400, 8.0, 3L);
        KMeansResult cut = KMeans.cluster(data, 800, DIM, 12, KMeansConfig.DEFAULT, 4L);

        int[] group = ClusterMerger.merge(data, DIM, cut, 0.5);

        assertThat(groupsOf(group, cut.assignments())).hasSize(2);
        assertPure(group, cut.assignments(), 400);
    }

    /**
     * A small cluster beside a large one: the large one's tail is denser halfway between them than
     * the small one is at its centre, so the valley shows only with each cluster weighing the same.
     */
    @Test
    void aSmallClusterBesideALargeOneIsNotSwallowed() {
        float[] data = twoClusters(2000, 60, 6.0, 5L);
        KMeansResult cut = KMeans.cluster(data, 2060, DIM, 20, KMeansConfig.DEFAULT, 6L);

        int[] group = ClusterMerger.merge(data, DIM, cut, 0.5);

        assertThat(groupsOf(group, cut.assignments())).hasSize(2);
        assertPure(group, cut.assignments(), 2000);
    }

    /** {@code first} points around the origin, then {@code second} around a point {@code distance} sigma away. */
    private static float[] twoClusters(int first, int second, double distance, long seed) {
        DeterministicRandom random = new DeterministicRandom(seed);
        float[] data = Fixtures.gaussian(first + second, DIM, 1.0, random);
        for (int i = first; i < first + second; i++) {
            data[i * DIM] += (float) distance;
        }
        return data;
    }

    private static Set<Integer> groupsOf(int[] group, int[] assignments) {
        Set<Integer> groups = new HashSet<>();
        for (int a : assignments) {
            groups.add(group[a]);
        }
        return groups;
    }

    /** The points before {@code boundary} and those after are in different groups, each in one. */
    private static void assertPure(int[] group, int[] assignments, int boundary) {
        Set<Integer> before = new HashSet<>();
        Set<Integer> after = new HashSet<>();
        for (int i = 0; i < assignments.length; i++) {
            (i < boundary ? before : after).add(group[assignments[i]]);
        }
        assertThat(before).hasSize(1);
        assertThat(after).hasSize(1).doesNotContainAnyElementsOf(before);
    }
}
