package io.sonaflink.operators.inference;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.PatternSnapshot;

import java.util.Locale;
import java.util.Objects;

/**
 * What every inference task holds of one served part of one key (its broadcast state, architecture
 * §4): the version, what it must be served with, a digest of its content and its size, and the
 * content itself only when it is small or there is nowhere else to get it from. A part held without
 * its content is read from the {@link ServingStore} into the task's {@link ServingCache} when a
 * query needs it, and checked against the digest.
 *
 * @param key adapter key
 * @param part which part of the key's serving this is
 * @param version the adapter version, or the background cycle of a pattern bank
 * @param servedWithBase of a MicroLoRA, the BaseLoRA version it is served on; -1 otherwise
 * @param digest {@link ServingDigest} of the content
 * @param bytes the content's size as {@link ServingDigest#bytes} counts it
 * @param adapter the weights, when held inline (an adapter part), else null
 * @param patterns the bank, when held inline (the patterns part), else null
 */
public record ServingEntry(AdapterKey key, Part part, long version, long servedWithBase, long digest, long bytes,
        AdapterUpdate adapter, PatternSnapshot patterns) {

    /** The parts a query is served with. */
    public enum Part {
        BASE,
        MICRO,
        PATTERNS;

        static Part of(AdapterKind kind) {
            return kind == AdapterKind.BASE ? BASE : MICRO;
        }
    }

    public ServingEntry {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(part, "part");
        if (adapter != null && patterns != null) {
            throw new IllegalArgumentException("an entry holds one part");
        }
    }

    /** An adapter version's entry, with its weights inline or not. */
    public static ServingEntry of(AdapterUpdate u, boolean inline) {
        return new ServingEntry(u.key(), Part.of(u.kind()), u.version(), u.servedWithBase(), ServingDigest.of(u),
                ServingDigest.bytes(u), inline ? u : null, null);
    }

    /** A pattern bank's entry, with the bank inline or not. */
    public static ServingEntry of(PatternSnapshot s, boolean inline) {
        return new ServingEntry(s.key(), Part.PATTERNS, s.cycle(), -1, ServingDigest.of(s), ServingDigest.bytes(s),
                null, inline ? s : null);
    }

    public boolean inline() {
        return adapter != null || patterns != null;
    }

    /** The broadcast-state key of this part: {@code <adapter key>#<part>}. */
    public String slot() {
        return slot(key.asString(), part);
    }

    static String slot(String key, Part part) {
        return key + '#' + part.name().toLowerCase(Locale.ROOT);
    }

    /** The cache key of this version's content: {@code <slot>@<version>}. */
    String contentSlot() {
        return slot() + '@' + version;
    }

    @Override
    public String toString() {
        return key + " " + part.name().toLowerCase(Locale.ROOT) + " v" + version
                + (inline() ? " (inline)" : "");
    }
}
