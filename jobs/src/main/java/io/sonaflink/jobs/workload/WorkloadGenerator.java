package io.sonaflink.jobs.workload;

import io.sonaflink.state.math.DeterministicRandom;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The built-in workload of the local run and the integration tests: several tenants, each with
 * planted request clusters that have a best route, trajectories whose quality is high on the best
 * route and low elsewhere, corrections that follow a fixed low-rank linear map, and a small share
 * of deliberately malformed lines. Part-way through, each tenant's traffic moves to a new task: a
 * second set of request clusters (a new kind of request, with their own best routes). The tasks
 * overlap only partly: their requests share some input directions, on which the corrections agree,
 * and each has directions of its own, on which only its part of the correction map acts (see
 * {@link KeyModel}). One served model can learn both, so forgetting the first is a failure of the
 * learner, not of the workload, and what the first task taught helps with the second.
 *
 * <p>Embeddings are unit-scale (coordinates N(0, 1/d)); cluster noise is 15 % of that scale, so
 * clusters are well separated. Everything is derived from {@link WorkloadSpec#seed()}.
 */
public final class WorkloadGenerator {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] TENANTS = {"acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne"};

    /** Held-out requests per key. */
    public static final int PROBES_PER_KEY = 200;
    private static final long PROBE_SEED = 0x9e3779b97f4a7c15L;

    private WorkloadGenerator() {}

    public static Workload generate(WorkloadSpec spec) {
        DeterministicRandom random = new DeterministicRandom(spec.seed());
        List<byte[]> trajectories = new ArrayList<>();
        List<byte[]> signals = new ArrayList<>();
        Map<String, Integer> clusterOf = new HashMap<>();
        Map<String, String> keyOf = new HashMap<>();
        Map<String, List<String>> bestRoutes = new HashMap<>();
        int malformedTrajectories = 0;
        int malformedSignals = 0;

        List<KeyModel> models = new ArrayList<>();
        for (int k = 0; k < spec.keys(); k++) {
            KeyModel model = new KeyModel(spec, k, random);
            models.add(model);
            bestRoutes.put(model.keyString(), model.bestRoute);
        }
        // Interleave keys round-robin, as a shared topic would.
        for (int i = 0; i < spec.trajectoriesPerKey(); i++) {
            boolean secondTask = i >= spec.secondTaskStart();
            for (KeyModel model : models) {
                String id = model.tenant + "-t" + i;
                int cluster = (secondTask ? spec.clustersPerKey() : 0) + random.nextInt(spec.clustersPerKey());
                float[] x = model.sample(cluster, random);
                boolean best = random.nextDouble() < 0.7;
                String route = best ? model.bestRoute.get(cluster) : "route-" + random.nextInt(spec.routes());
                double quality = (route.equals(model.bestRoute.get(cluster)) ? 0.85 : 0.45)
                        + 0.03 * random.nextGaussian();
                quality = Math.max(0.0, Math.min(1.0, quality));
                ObjectNode t = JSON.createObjectNode();
                t.put("id", id);
                t.set("key", model.keyNode());
                t.put("timestamp", 1_700_000_000_000L + i * 10L);
                t.set("embedding", array(x));
                t.put("route", route);
                ObjectNode params = t.putObject("params");
                params.put("ef_search", 32 + 16 * (cluster % 4));
                params.put("strategy", cluster % 2 == 0 ? "greedy" : "beam");
                t.put("quality", Math.round(quality * 1e4) / 1e4);
                if (random.nextDouble() < spec.malformedRate()) {
                    trajectories.add(corrupt(t, spec, random));
                    malformedTrajectories++;
                    continue;
                }
                trajectories.add(bytes(t));
                clusterOf.put(id, cluster);
                keyOf.put(id, model.keyString());

                if (random.nextDouble() < spec.correctionRate()) {
                    ObjectNode s = JSON.createObjectNode();
                    s.put("id", id + "-c");
                    s.put("trajectory_id", id);
                    s.set("key", model.keyNode());
                    s.put("type", "correction");
                    s.put("source", random.nextDouble() < 0.5 ? "human" : "ai");
                    s.set("target", array(model.correct(x)));
                    s.put("timestamp", 1_700_000_000_000L + i * 10L + 5);
                    if (random.nextDouble() < spec.malformedRate()) {
                        signals.add(corrupt(s, spec, random));
                        malformedSignals++;
                    } else {
                        signals.add(bytes(s));
                    }
                }
            }
        }
        // Probes come from their own random stream, so the event stream does not depend on them.
        DeterministicRandom probeRandom = new DeterministicRandom(spec.seed() ^ PROBE_SEED);
        Map<String, List<Workload.Probe>> probes = new HashMap<>();
        for (KeyModel model : models) {
            List<Workload.Probe> keyProbes = new ArrayList<>();
            for (int i = 0; i < PROBES_PER_KEY; i++) {
                int task = i % 2;
                int cluster = task * spec.clustersPerKey() + probeRandom.nextInt(spec.clustersPerKey());
                float[] x = model.sample(cluster, probeRandom);
                keyProbes.add(new Workload.Probe(x, cluster, model.bestRoute.get(cluster), task,
                        model.correct(x)));
            }
            probes.put(model.keyString(), keyProbes);
        }
        return new Workload(trajectories, signals, clusterOf, keyOf, bestRoutes, malformedTrajectories,
                malformedSignals, probes);
    }

    /** One of several realistic ways to break a line; each must be dead-lettered by the job. */
    private static byte[] corrupt(ObjectNode event, WorkloadSpec spec, DeterministicRandom random) {
        switch (random.nextInt(4)) {
            case 0: {
                byte[] whole = bytes(event);
                byte[] truncated = new byte[whole.length / 2];
                System.arraycopy(whole, 0, truncated, 0, truncated.length);
                return truncated;
            }
            case 1: {
                ObjectNode copy = event.deepCopy();
                String field = copy.has("embedding") ? "embedding" : "target";
                ((ArrayNode) copy.get(field)).remove(0);
                return bytes(copy);
            }
            case 2: {
                ObjectNode copy = event.deepCopy();
                copy.remove("key");
                return bytes(copy);
            }
            default:
                String text = new String(bytes(event), StandardCharsets.UTF_8);
                return text.replaceFirst("\\[(-?[0-9.eE-]+),", "[NaN,").getBytes(StandardCharsets.UTF_8);
        }
    }

    private static ArrayNode array(float[] values) {
        ArrayNode a = JSON.createArrayNode();
        for (float v : values) {
            a.add(v);
        }
        return a;
    }

    private static byte[] bytes(ObjectNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write a generated event", e);
        }
    }

    /**
     * One tenant's planted clusters (both tasks'), best routes and correction map.
     *
     * <p>The embedding space is built from orthonormal directions: a few that both tasks use and a
     * few that only one task uses. A cluster's centre is half (in energy) a random mix of the shared
     * directions and half a random mix of its task's own. The correction is one linear map for the
     * whole key, {@code x + W x} with {@code W = U_s V_s^T + U_1 V_1^T + U_2 V_2^T}: the first part
     * reads the shared directions (what the first task teaches about it carries over), each task's
     * part reads only its own directions (new to learn in the second task, and what a learner must
     * not overwrite of the first). One served model can fit both tasks exactly, so forgetting is the
     * learner's fault. With more clusters than directions per task, a task's requests span its
     * directions, so a learner can tell the shared part from the task's own.
     */
    private static final class KeyModel {
        /** Directions both tasks' requests lie along. */
        private static final int SHARED_DIRECTIONS = 4;
        /** Directions only one task's requests lie along, per task. */
        private static final int OWN_DIRECTIONS = 3;
        /** Share of a cluster centre's energy along the shared directions. */
        private static final double SHARED_ENERGY = 0.5;
        /** Rank of the shared part of the correction map; each task's own part has rank 1. */
        private static final int SHARED_RANK = 2;
        /** Share of a request's correction (in energy) that comes from the shared part. */
        private static final double SHARED_CORRECTION = 1.0 / 3;

        final String tenant;
        final float[][] centres;
        final List<String> bestRoute = new ArrayList<>();
        /** Rows of {@code U} (what the map writes) and of {@code V} (what it reads), pairwise. */
        final float[][] writes;
        final float[][] reads;
        final int dim;

        KeyModel(WorkloadSpec spec, int index, DeterministicRandom random) {
            this.tenant = TENANTS[index % TENANTS.length] + (index >= TENANTS.length ? "-" + index : "");
            this.dim = spec.dimension();
            int clusters = spec.clustersPerKey();
            float[][] directions = orthonormal(SHARED_DIRECTIONS + 2 * OWN_DIRECTIONS, dim, random);
            float[][] shared = Arrays.copyOfRange(directions, 0, SHARED_DIRECTIONS);
            float[][][] own = new float[2][][];
            for (int task = 0; task < 2; task++) {
                own[task] = Arrays.copyOfRange(directions, SHARED_DIRECTIONS + task * OWN_DIRECTIONS,
                        SHARED_DIRECTIONS + (task + 1) * OWN_DIRECTIONS);
            }
            centres = new float[2 * clusters][]; // the first task's, then the second's
            for (int c = 0; c < centres.length; c++) {
                centres[c] = add(scaled(combination(shared, random), Math.sqrt(SHARED_ENERGY)),
                        scaled(combination(own[c / clusters], random), Math.sqrt(1 - SHARED_ENERGY)));
                bestRoute.add("route-" + random.nextInt(spec.routes()));
            }
            reads = new float[SHARED_RANK + 2][];
            for (int r = 0; r < SHARED_RANK; r++) {
                reads[r] = combination(shared, random);
            }
            for (int task = 0; task < 2; task++) {
                reads[SHARED_RANK + task] = combination(own[task], random);
            }
            writes = new float[reads.length][dim];
            for (float[] row : writes) {
                for (int j = 0; j < dim; j++) {
                    row[j] = (float) (random.nextGaussian() / Math.sqrt(dim));
                }
            }
            // Corrections as large as a random rank-2 map's on unit-scale requests (2/d in energy),
            // a third of it from the shared part: a learner that stopped at the first task would
            // get a third of the second one right, not more.
            double total = 2.0 / dim;
            scale(0, SHARED_RANK, centres, total * SHARED_CORRECTION);
            for (int task = 0; task < 2; task++) {
                scale(SHARED_RANK + task, SHARED_RANK + task + 1,
                        Arrays.copyOfRange(centres, task * clusters, (task + 1) * clusters),
                        total * (1 - SHARED_CORRECTION));
            }
        }

        /** Scales rows [from, to) of the map so that they add {@code energy} on average to the given requests. */
        private void scale(int from, int to, float[][] requests, double energy) {
            double actual = 0;
            for (float[] x : requests) {
                float[] y = new float[dim];
                for (int r = from; r < to; r++) {
                    y = add(y, scaled(writes[r], dot(reads[r], x)));
                }
                actual += dot(y, y) / requests.length;
            }
            double f = Math.sqrt(energy / actual);
            for (int r = from; r < to; r++) {
                writes[r] = scaled(writes[r], f);
            }
        }

        float[] sample(int cluster, DeterministicRandom random) {
            double noise = 0.15 / Math.sqrt(dim);
            float[] x = new float[dim];
            for (int j = 0; j < dim; j++) {
                x[j] = centres[cluster][j] + (float) (noise * random.nextGaussian());
            }
            return x;
        }

        /** {@code x + W x}: the correction a human would give for this request. */
        float[] correct(float[] x) {
            return add(x, delta(x));
        }

        private float[] delta(float[] x) {
            float[] y = new float[dim];
            for (int r = 0; r < reads.length; r++) {
                double h = dot(reads[r], x);
                for (int j = 0; j < dim; j++) {
                    y[j] += (float) (writes[r][j] * h);
                }
            }
            return y;
        }

        /**
         * {@code n} random unit directions, orthonormal as far as the dimension allows (Gram-Schmidt);
         * beyond {@code dim} of them the rest are only nearly orthogonal.
         */
        static float[][] orthonormal(int n, int dim, DeterministicRandom random) {
            float[][] out = new float[n][];
            for (int i = 0; i < n; i++) {
                float[] v = new float[dim];
                for (int j = 0; j < dim; j++) {
                    v[j] = (float) random.nextGaussian();
                }
                for (int k = 0; i < dim && k < i; k++) {
                    v = add(v, scaled(out[k], -dot(out[k], v)));
                }
                out[i] = scaled(v, 1 / Math.sqrt(dot(v, v)));
            }
            return out;
        }

        /** A random unit vector in the span of the given orthonormal directions. */
        private static float[] combination(float[][] directions, DeterministicRandom random) {
            float[] v = new float[directions[0].length];
            for (float[] d : directions) {
                v = add(v, scaled(d, random.nextGaussian()));
            }
            return scaled(v, 1 / Math.sqrt(dot(v, v)));
        }

        private static double dot(float[] a, float[] b) {
            double s = 0;
            for (int j = 0; j < a.length; j++) {
                s += (double) a[j] * b[j];
            }
            return s;
        }

        private static float[] scaled(float[] a, double f) {
            float[] out = new float[a.length];
            for (int j = 0; j < a.length; j++) {
                out[j] = (float) (a[j] * f);
            }
            return out;
        }

        private static float[] add(float[] a, float[] b) {
            float[] out = new float[a.length];
            for (int j = 0; j < a.length; j++) {
                out[j] = a[j] + b[j];
            }
            return out;
        }

        String keyString() {
            return tenant + "/assistant/general";
        }

        ObjectNode keyNode() {
            ObjectNode key = JSON.createObjectNode();
            key.put("tenant", tenant);
            key.put("persona", "assistant");
            key.put("domain", "general");
            return key;
        }
    }
}
