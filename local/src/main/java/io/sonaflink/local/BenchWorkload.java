package io.sonaflink.local;

import io.sonaflink.state.math.DeterministicRandom;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

/**
 * The benchmark's workload, generated event by event (nothing is held in memory, so a run of
 * millions of events needs no more heap than one of thousands): {@code keys} adapter keys in
 * round-robin, each with {@code clusters} Gaussian clusters of unit-scale embeddings; a share of
 * the trajectories gets a correction right after it, whose target is a fixed rank-1 map of the
 * embedding; embeddings and targets are base64 of little-endian float32, what a producer that
 * cares about speed sends. Event {@code i} depends only on the spec and {@code i}.
 */
final class BenchWorkload {

    /**
     * @param keys adapter keys
     * @param trajectoriesPerKey trajectories of each key
     * @param dimension embedding dimension
     * @param clusters clusters per key
     * @param correctionShare share of trajectories followed by a correction
     * @param queryShare queries sent per trajectory (0.01: one query every 100 trajectories)
     * @param seed seed of everything
     */
    record Spec(int keys, long trajectoriesPerKey, int dimension, int clusters, double correctionShare,
            double queryShare, long seed) {

        Spec {
            if (keys < 1 || trajectoriesPerKey < 1 || dimension < 1 || clusters < 1) {
                throw new IllegalArgumentException("keys, events, dimension and clusters must be positive");
            }
            if (correctionShare < 0 || correctionShare > 1 || queryShare < 0 || queryShare > 1) {
                throw new IllegalArgumentException("shares must be in [0, 1]");
            }
        }

        long trajectories() {
            return keys * trajectoriesPerKey;
        }
    }

    private static final long EPOCH_MS = 1_700_000_000_000L;
    private static final JsonFactory JSON = new JsonFactory();

    private final Spec spec;
    private final float[][] centres;
    private final float[] mapIn;
    private final float[] mapOut;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(4096);
    private final ByteBuffer floats;

    BenchWorkload(Spec spec) {
        this.spec = spec;
        DeterministicRandom random = new DeterministicRandom(spec.seed());
        int cells = Math.min(spec.clusters() * spec.keys(), 4096); // keys beyond share centres, shifted
        centres = new float[cells][];
        for (int c = 0; c < cells; c++) {
            centres[c] = gaussian(random, spec.dimension(), 1.0 / Math.sqrt(spec.dimension()));
        }
        mapIn = gaussian(random, spec.dimension(), 1.0 / Math.sqrt(spec.dimension()));
        mapOut = gaussian(random, spec.dimension(), 0.1 / Math.sqrt(spec.dimension()));
        floats = ByteBuffer.allocate(4 * spec.dimension()).order(ByteOrder.LITTLE_ENDIAN);
    }

    static String keyPart(long event, Spec spec) {
        return "tenant-" + (event % spec.keys());
    }

    /** The {@code i}th trajectory (keys interleaved). */
    byte[] trajectory(long i) {
        float[] x = embedding(i);
        DeterministicRandom random = new DeterministicRandom(spec.seed() ^ DeterministicRandom.mix(i));
        return render(g -> {
            g.writeStringField("id", id(i));
            key(g, i);
            g.writeNumberField("timestamp", EPOCH_MS + i);
            g.writeStringField("embedding", base64(x));
            g.writeStringField("route", "route-" + (cluster(i) % 4));
            g.writeNumberField("quality", 0.6 + 0.3 * random.nextDouble());
        });
    }

    /** Whether the {@code i}th trajectory is followed by a correction. */
    boolean corrected(long i) {
        return unit(i, 0x5ca1ab1eL) < spec.correctionShare();
    }

    /** The correction of the {@code i}th trajectory: its embedding mapped by {@code x + v (u . x)}. */
    byte[] correction(long i) {
        float[] x = embedding(i);
        float dot = 0;
        for (int j = 0; j < x.length; j++) {
            dot += mapIn[j] * x[j];
        }
        float[] y = new float[x.length];
        for (int j = 0; j < x.length; j++) {
            y[j] = x[j] + mapOut[j] * dot * (float) Math.sqrt(spec.dimension());
        }
        return render(g -> {
            g.writeStringField("id", id(i) + "-c");
            g.writeStringField("trajectory_id", id(i));
            key(g, i);
            g.writeStringField("type", "correction");
            g.writeStringField("source", "human");
            g.writeStringField("target", base64(y));
            g.writeNumberField("timestamp", EPOCH_MS + i + 1);
        });
    }

    /** Whether a query follows the {@code i}th trajectory. */
    boolean queried(long i) {
        return unit(i, 0x9e3779b9L) < spec.queryShare();
    }

    /** A query near the {@code i}th trajectory's cluster centre. */
    byte[] query(long i) {
        float[] x = embedding(i ^ 0x7fffffffL);
        return render(g -> {
            g.writeStringField("id", "q-" + i);
            key(g, i);
            g.writeNumberField("timestamp", System.currentTimeMillis());
            g.writeStringField("embedding", base64(x));
        });
    }

    private int cluster(long i) {
        return (int) Math.floorMod(DeterministicRandom.mix(i * 31 + spec.seed()), spec.clusters());
    }

    private float[] embedding(long i) {
        float[] centre = centres[(int) ((i % spec.keys()) * spec.clusters() + cluster(i)) % centres.length];
        DeterministicRandom random = new DeterministicRandom(spec.seed() + 17 * i);
        float[] x = new float[spec.dimension()];
        double noise = 0.15 / Math.sqrt(spec.dimension());
        for (int j = 0; j < x.length; j++) {
            x[j] = centre[j] + (float) (noise * random.nextGaussian());
        }
        return x;
    }

    private String id(long i) {
        return keyPart(i, spec) + "-t" + (i / spec.keys());
    }

    private void key(JsonGenerator g, long i) throws IOException {
        g.writeObjectFieldStart("key");
        g.writeStringField("tenant", keyPart(i, spec));
        g.writeStringField("persona", "assistant");
        g.writeStringField("domain", "general");
        g.writeEndObject();
    }

    private String base64(float[] v) {
        floats.clear();
        floats.asFloatBuffer().put(v);
        return Base64.getEncoder().encodeToString(floats.array());
    }

    private double unit(long i, long salt) {
        return (DeterministicRandom.mix(i ^ salt ^ spec.seed()) >>> 11) * 0x1.0p-53;
    }

    private static float[] gaussian(DeterministicRandom random, int dim, double scale) {
        float[] v = new float[dim];
        for (int j = 0; j < dim; j++) {
            v[j] = (float) (scale * random.nextGaussian());
        }
        return v;
    }

    @FunctionalInterface
    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    private byte[] render(Fields fields) {
        buffer.reset();
        try (JsonGenerator g = JSON.createGenerator(buffer)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buffer.toByteArray();
    }
}
