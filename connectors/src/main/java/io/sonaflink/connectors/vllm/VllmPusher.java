package io.sonaflink.connectors.vllm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Pushes each key's served stack to vLLM's runtime LoRA API, off the pipeline's threads: {@code
 * POST /v1/load_lora_adapter {lora_name, lora_path}} under an immutable name per version (reloading
 * under one name can serve a server's cached old weights), then a one-token probe request with the
 * new name as the model, then, after a grace period, {@code POST /v1/unload_lora_adapter
 * {lora_name}} of the version it replaced. Failed requests and timeouts are retried with
 * exponential backoff; a push that still fails is logged and counted, and the next version of the
 * key is pushed as usual. Nothing here ever blocks or fails the job.
 */
public final class VllmPusher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VllmPusher.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_BACKOFF_MS = 30_000;

    private final VllmConfig config;
    private final HttpClient http;
    private final ScheduledExecutorService scheduler;
    /** key -> the name of its newest loaded version; touched only on the scheduler's thread. */
    private final Map<String, String> loaded = new HashMap<>();
    private final AtomicLong pushed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    public VllmPusher(VllmConfig config) {
        this.config = config;
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "vllm-push");
            t.setDaemon(true);
            return t;
        });
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(config.requestTimeoutMs()))
                .executor(scheduler).build();
    }

    /** The immutable name a served stack is loaded under: {@code <key>@<version directory>}. */
    public static String loraName(String key, String servedDirectory) {
        return key + "@" + servedDirectory.substring(servedDirectory.lastIndexOf('/') + 1);
    }

    /**
     * Schedules the push of a key's new served stack, whose PEFT directory is {@code relativePath}
     * under the registry root, and returns at once; the future tells whether the version was
     * loaded and answered its probe (false once every attempt failed).
     */
    public CompletableFuture<Boolean> served(String key, String relativePath) {
        String name = loraName(key, relativePath);
        String path = config.registryPath().replaceAll("/+$", "") + "/" + relativePath;
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        scheduler.execute(() -> call("/v1/load_lora_adapter", body("lora_name", name, "lora_path", path), 1)
                .thenCompose(ok -> ok ? call("/v1/completions", probe(name), 1) : CompletableFuture.completedFuture(false))
                .whenComplete((ok, error) -> {
                    boolean loadedNow = ok != null && ok;
                    if (!loadedNow) {
                        failed.incrementAndGet();
                        LOG.warn("vLLM at {} did not load {} from {}; the next version is pushed as usual",
                                config.url(), name, path, error);
                    } else {
                        pushed.incrementAndGet();
                        String previous = loaded.put(key, name);
                        if (previous != null && !previous.equals(name)) {
                            scheduler.schedule(() -> call("/v1/unload_lora_adapter", body("lora_name", previous), 1),
                                    config.unloadGraceMs(), TimeUnit.MILLISECONDS);
                        }
                    }
                    done.complete(loadedNow);
                }));
        return done;
    }

    /** Versions loaded and probed. */
    public long pushed() {
        return pushed.get();
    }

    /** Versions given up after every attempt. */
    public long failed() {
        return failed.get();
    }

    /** One request, retried with backoff; completes with whether it succeeded. Runs on the scheduler. */
    private CompletableFuture<Boolean> call(String path, String json, int attempt) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(config.url().toString().replaceAll("/+$", "") + path))
                .timeout(Duration.ofMillis(config.requestTimeoutMs()))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).handleAsync((response, error) -> {
            if (error == null && (response.statusCode() / 100 == 2 || alreadyLoaded(path, response))) {
                return CompletableFuture.completedFuture(true);
            }
            String why = error != null ? error.toString() : "HTTP " + response.statusCode() + ": " + response.body();
            if (attempt >= config.maxAttempts()) {
                LOG.warn("vLLM request {} {} failed {} times, last: {}", path, json, attempt, why);
                return CompletableFuture.completedFuture(false);
            }
            long backoff = Math.min(MAX_BACKOFF_MS, config.initialBackoffMs() << Math.min(attempt - 1, 20));
            LOG.info("vLLM request {} failed ({}); retrying in {} ms", path, why, backoff);
            CompletableFuture<Boolean> retry = new CompletableFuture<>();
            scheduler.schedule(() -> call(path, json, attempt + 1).whenComplete((ok, e) -> retry.complete(ok != null && ok)),
                    backoff, TimeUnit.MILLISECONDS);
            return retry;
        }, scheduler).thenCompose(f -> f);
    }

    /** vLLM refuses a name it already has with 400; after a restart of the job that is a success. */
    private static boolean alreadyLoaded(String path, HttpResponse<String> response) {
        return path.equals("/v1/load_lora_adapter") && response.statusCode() == 400
                && response.body().contains("already been loaded");
    }

    private static String body(String... fields) {
        ObjectNode n = JSON.createObjectNode();
        for (int i = 0; i < fields.length; i += 2) {
            n.put(fields[i], fields[i + 1]);
        }
        return n.toString();
    }

    private static String probe(String name) {
        ObjectNode n = JSON.createObjectNode();
        n.put("model", name);
        n.put("prompt", "ping");
        n.put("max_tokens", 1);
        return n.toString();
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
