package io.sonaflink.operators.inference;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.PatternSnapshot;

import java.io.IOException;
import java.io.Serializable;

/**
 * Where an inference task reads the parts its broadcast state names without holding them (the
 * adapter registry). Called off the task thread, one call at a time per task; the caller checks
 * what it reads against the entry's digest.
 */
public interface ServingStore extends Serializable {

    /** The weights of {@code key}'s {@code kind} version {@code version}, or null while it is not there (yet). */
    AdapterUpdate adapter(AdapterKey key, AdapterKind kind, long version) throws IOException;

    /** {@code key}'s pattern bank of background cycle {@code cycle}, or null while it is not there (yet). */
    PatternSnapshot patterns(AdapterKey key, long cycle) throws IOException;

    /** Where it reads from, for messages. */
    String description();
}
