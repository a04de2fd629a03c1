package io.sonaflink.operators.events;

import java.util.Objects;

/**
 * What an adapter is learned for: a tenant, a persona and a domain. Streams are keyed by {@link
 * #asString()}, a stable, human-readable form.
 */
public record AdapterKey(String tenant, String persona, String domain) {

    public AdapterKey {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(persona, "persona");
        Objects.requireNonNull(domain, "domain");
    }

    /** {@code tenant/persona/domain}. */
    public String asString() {
        return tenant + '/' + persona + '/' + domain;
    }

    @Override
    public String toString() {
        return asString();
    }
}
