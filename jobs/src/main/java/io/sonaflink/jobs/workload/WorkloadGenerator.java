package io.sonaflink.jobs.workload;

import io.sonaflink.state.math.DeterministicRandom;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The built-in workload of the local run and the integration tests: several tenants, each with
 * planted request clusters that have a best route, trajectories whose quality is high on the best
 * route and low elsewhere, corrections that follow a fixed low-rank linear map, and a small share
 * of deliberately malformed lines. Part-way through, each tenant's traffic moves to a new task: a
 * second set of request clusters (a new kind of request, with their own best routes) whose
 * corrections follow another map. The tasks do not share requests, so one served model can learn
 * both, and forgetting the first is a failure of the learner, not of the workload.
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
                    s.set("target", array(model.correct(x, secondTask)));
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
                        model.correct(x, task == 1)));
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

    /** One tenant's planted clusters (both tasks'), best routes and correction maps. */
    private static final class KeyModel {
        final String tenant;
        final float[][] centres;
        final List<String> bestRoute = new ArrayList<>();
        final float[][] mapBefore;
        final float[][] mapAfter;
        final int dim;

        KeyModel(WorkloadSpec spec, int index, DeterministicRandom random) {
            this.tenant = TENANTS[index % TENANTS.length] + (index >= TENANTS.length ? "-" + index : "");
            this.dim = spec.dimension();
            double scale = 1.0 / Math.sqrt(dim);
            centres = new float[2 * spec.clustersPerKey()][dim]; // the first task's, then the second's
            for (int c = 0; c < centres.length; c++) {
                for (int j = 0; j < dim; j++) {
                    centres[c][j] = (float) (scale * random.nextGaussian());
                }
                bestRoute.add("route-" + random.nextInt(spec.routes()));
            }
            mapBefore = lowRank(dim, 2, random);
            mapAfter = lowRank(dim, 2, random);
        }

        float[] sample(int cluster, DeterministicRandom random) {
            double noise = 0.15 / Math.sqrt(dim);
            float[] x = new float[dim];
            for (int j = 0; j < dim; j++) {
                x[j] = centres[cluster][j] + (float) (noise * random.nextGaussian());
            }
            return x;
        }

        /** {@code x + U V^T x}: the correction a human would give for this request. */
        float[] correct(float[] x, boolean secondTask) {
            float[][] uv = secondTask ? mapAfter : mapBefore;
            int rank = uv.length / 2;
            float[] y = x.clone();
            for (int r = 0; r < rank; r++) {
                float[] u = uv[r];
                float[] v = uv[rank + r];
                double h = 0;
                for (int j = 0; j < dim; j++) {
                    h += v[j] * x[j];
                }
                for (int j = 0; j < dim; j++) {
                    y[j] += (float) (u[j] * h);
                }
            }
            return y;
        }

        static float[][] lowRank(int dim, int rank, DeterministicRandom random) {
            float[][] uv = new float[2 * rank][dim];
            for (float[] row : uv) {
                for (int j = 0; j < dim; j++) {
                    row[j] = (float) (random.nextGaussian() / Math.sqrt(dim));
                }
            }
            return uv;
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
