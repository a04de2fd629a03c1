package io.sonaflink.connectors.registry;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A key's page in the adapter registry ({@code manifest.json}): per kind the champion (the version
 * served now) and the history of published versions, each with the file that holds its weights and
 * that file's SHA-256; and the served stack ({@code F(x) = x + Δbase(x) + Δmicro(x)}) with the
 * directory of its PEFT export. A rollback or a pin is a new version whose entry points at the
 * older version's file: the pointer moves, no weights are copied.
 *
 * <p>Immutable; {@link #with} returns the manifest after one more committed version, and applying a
 * version twice changes nothing, so a commit replayed after a failure is harmless.
 *
 * @param format {@value #FORMAT}
 * @param key the adapter key
 * @param base BaseLoRA versions
 * @param micro MicroLoRA versions
 * @param served the served stack, or null while nothing is published
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AdapterManifest(String format, Key key, Lineage base, Lineage micro, Served served) {

    public static final String FORMAT = "sona-registry-manifest/1";
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** The adapter key, part by part. */
    public record Key(String tenant, String persona, String domain) {
        static Key of(AdapterKey k) {
            return new Key(k.tenant(), k.persona(), k.domain());
        }
    }

    /**
     * One published version.
     *
     * @param file weights file, relative to the key's directory
     * @param rolledBackTo for a rollback or pin, the version whose weights it serves again (its
     *     {@code file}); null otherwise
     * @param servedWithBase of a MicroLoRA, the BaseLoRA version it is the residual of
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Version(long version, long parentVersion, String file, String sha256, long bytes, int rank,
            float alpha, int layers, int dim, long createdAt, Long rolledBackTo, Long servedWithBase,
            Map<String, Double> metrics) {}

    /** A kind's champion and its most recent versions, oldest first. */
    public record Lineage(long champion, List<Version> versions) {
        static final Lineage EMPTY = new Lineage(0, List.of());

        public Optional<Version> find(long version) {
            return versions.stream().filter(v -> v.version() == version).findFirst();
        }

        Lineage with(Version v, int historySize) {
            if (find(v.version()).isPresent()) {
                return this;
            }
            List<Version> next = new ArrayList<>(versions);
            next.add(v);
            next.sort(Comparator.comparingLong(Version::version));
            while (next.size() > historySize) {
                next.remove(0);
            }
            return new Lineage(Math.max(champion, v.version()), List.copyOf(next));
        }
    }

    /**
     * What a request is served with: the champion BaseLoRA and the newest MicroLoRA learned on it
     * (0: none), and where the stack's PEFT export lies (relative to the key's directory; null
     * when there is none).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Served(long base, long micro, String peft) {}

    public static AdapterManifest empty(AdapterKey key) {
        return new AdapterManifest(FORMAT, Key.of(key), Lineage.EMPTY, Lineage.EMPTY, null);
    }

    public Lineage lineage(AdapterKind kind) {
        return kind == AdapterKind.BASE ? base : micro;
    }

    /** This manifest with {@code v} committed for {@code kind} (unchanged if it already holds it). */
    public AdapterManifest with(AdapterKind kind, Version v, int historySize) {
        Map<AdapterKind, Lineage> lineages = new EnumMap<>(AdapterKind.class);
        lineages.put(AdapterKind.BASE, base);
        lineages.put(AdapterKind.MICRO, micro);
        lineages.put(kind, lineage(kind).with(v, historySize));
        AdapterManifest next = new AdapterManifest(format, key, lineages.get(AdapterKind.BASE),
                lineages.get(AdapterKind.MICRO), served);
        Served stack = next.servedStack();
        boolean same = served != null && served.base() == stack.base() && served.micro() == stack.micro();
        return new AdapterManifest(format, key, next.base, next.micro, same ? served : stack);
    }

    public AdapterManifest withPeft(String directory) {
        return new AdapterManifest(format, key, base, micro, new Served(served.base(), served.micro(), directory));
    }

    /** The champion BaseLoRA and the newest MicroLoRA whose residual is that base's. */
    private Served servedStack() {
        long baseVersion = base.champion();
        long microVersion = 0;
        for (Version v : micro.versions()) {
            if (v.servedWithBase() != null && v.servedWithBase() == baseVersion) {
                microVersion = Math.max(microVersion, v.version());
            }
        }
        return new Served(baseVersion, microVersion, null);
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("cannot render a manifest", e);
        }
    }

    public static AdapterManifest fromJson(byte[] json) throws IOException {
        AdapterManifest m = JSON.readValue(json, AdapterManifest.class);
        if (!FORMAT.equals(m.format())) {
            throw new IOException("not a registry manifest: format " + m.format());
        }
        return m;
    }
}
