package io.sonaflink.connectors.vllm;

import java.io.Serializable;
import java.net.URI;
import java.util.Objects;

/**
 * Where and how served stacks are pushed to a vLLM server's runtime LoRA API (the server runs with
 * {@code --enable-lora} and {@code VLLM_ALLOW_RUNTIME_LORA_UPDATING=True}).
 *
 * @param url the server, e.g. {@code http://vllm:8000}
 * @param registryPath the registry root as a path on the vLLM server (where it mounts it)
 * @param unloadGraceMs how long a replaced version stays loaded, for requests already routed to it
 * @param requestTimeoutMs the longest one HTTP request may take
 * @param maxAttempts attempts per request before the push of that version is given up
 * @param initialBackoffMs the wait before the first retry; it doubles per attempt, up to 30 s
 */
public record VllmConfig(URI url, String registryPath, long unloadGraceMs, long requestTimeoutMs, int maxAttempts,
        long initialBackoffMs) implements Serializable {

    public VllmConfig {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(registryPath, "registryPath");
        if (unloadGraceMs < 0 || requestTimeoutMs < 1 || maxAttempts < 1 || initialBackoffMs < 0) {
            throw new IllegalArgumentException("invalid vLLM push settings: grace " + unloadGraceMs + " ms, timeout "
                    + requestTimeoutMs + " ms, attempts " + maxAttempts + ", backoff " + initialBackoffMs + " ms");
        }
    }
}
