package io.sonaflink.connectors.vllm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The push against a server on 127.0.0.1 that checks each request as vLLM's runtime LoRA API
 * documents it (method, path, JSON content type, exact fields) and answers with scripted
 * statuses, delays and vLLM's own error for a name it already has.
 */
class VllmPusherTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "acme/assistant/general";

    private HttpServer server;
    private final BlockingQueue<Request> received = new LinkedBlockingQueue<>();
    /** Scripted answers, in order; when empty, 200. */
    private final Deque<Answer> script = new ArrayDeque<>();
    private final CountDownLatch released = new CountDownLatch(1);
    private VllmPusher pusher;

    record Request(String method, String path, String contentType, JsonNode body) {}

    record Answer(int status, String body, boolean hang) {}

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
        server.start();
    }

    @AfterEach
    void stop() {
        released.countDown();
        if (pusher != null) {
            pusher.close();
        }
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        received.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                exchange.getRequestHeaders().getFirst("Content-Type"), JSON.readTree(body)));
        Answer answer;
        synchronized (script) {
            answer = script.isEmpty() ? new Answer(200, "Success", false) : script.poll();
        }
        if (answer.hang()) {
            try {
                released.await(30, TimeUnit.SECONDS); // longer than the client's timeout
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        byte[] out = answer.body().getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(answer.status(), out.length);
        exchange.getResponseBody().write(out);
        exchange.close();
    }

    private VllmPusher pusher(int attempts) {
        URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        pusher = new VllmPusher(new VllmConfig(url, "/registry/", 0, 500, attempts, 10));
        return pusher;
    }

    private Request next() throws InterruptedException {
        Request r = received.poll(20, TimeUnit.SECONDS);
        assertThat(r).as("a request reached the server").isNotNull();
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.contentType()).isEqualTo("application/json");
        return r;
    }

    private void assertLoad(Request r, String name, String path) {
        assertThat(r.path()).isEqualTo("/v1/load_lora_adapter");
        assertThat(fields(r.body())).containsExactly("lora_name", "lora_path");
        assertThat(r.body().get("lora_name").asText()).isEqualTo(name);
        assertThat(r.body().get("lora_path").asText()).isEqualTo(path);
    }

    private void assertProbe(Request r, String name) {
        assertThat(r.path()).isEqualTo("/v1/completions");
        assertThat(r.body().get("model").asText()).isEqualTo(name);
        assertThat(r.body().get("max_tokens").asInt()).isEqualTo(1);
    }

    @Test
    void eachVersionIsLoadedUnderItsOwnNameProbedAndThePreviousUnloaded() throws Exception {
        VllmPusher p = pusher(3);
        assertThat(p.served(KEY, "acme/assistant/general/served/b1-m4").get(20, TimeUnit.SECONDS)).isTrue();
        assertLoad(next(), KEY + "@b1-m4", "/registry/acme/assistant/general/served/b1-m4");
        assertProbe(next(), KEY + "@b1-m4");

        assertThat(p.served(KEY, "acme/assistant/general/served/b2-m0").get(20, TimeUnit.SECONDS)).isTrue();
        assertLoad(next(), KEY + "@b2-m0", "/registry/acme/assistant/general/served/b2-m0");
        assertProbe(next(), KEY + "@b2-m0");
        Request unload = next();
        assertThat(unload.path()).isEqualTo("/v1/unload_lora_adapter");
        assertThat(fields(unload.body())).containsExactly("lora_name");
        assertThat(unload.body().get("lora_name").asText()).isEqualTo(KEY + "@b1-m4");
        assertThat(p.pushed()).isEqualTo(2);
    }

    @Test
    void serverErrorsAndTimeoutsAreRetried() throws Exception {
        script.add(new Answer(500, "{\"object\":\"error\",\"message\":\"busy\"}", false));
        script.add(new Answer(200, "", true)); // no answer within the client's 500 ms
        VllmPusher p = pusher(3);

        assertThat(p.served(KEY, "acme/assistant/general/served/b1-m1").get(20, TimeUnit.SECONDS)).isTrue();

        for (int attempt = 0; attempt < 3; attempt++) {
            assertLoad(next(), KEY + "@b1-m1", "/registry/acme/assistant/general/served/b1-m1");
        }
        assertProbe(next(), KEY + "@b1-m1");
    }

    /** After a restart of the job the server may already have the version: that is a success. */
    @Test
    void aNameTheServerAlreadyHasCountsAsLoaded() throws Exception {
        script.add(new Answer(400, "{\"object\":\"error\",\"message\":\"The lora adapter '" + KEY
                + "@b1-m1' has already been loaded.\",\"type\":\"InvalidUserInput\",\"code\":400}", false));
        VllmPusher p = pusher(1);

        assertThat(p.served(KEY, "acme/assistant/general/served/b1-m1").get(20, TimeUnit.SECONDS)).isTrue();
        assertLoad(next(), KEY + "@b1-m1", "/registry/acme/assistant/general/served/b1-m1");
        assertProbe(next(), KEY + "@b1-m1");
    }

    @Test
    void aVersionThatNeverLoadsIsGivenUpAndTheNextOneIsStillPushed() throws Exception {
        for (int i = 0; i < 2; i++) {
            script.add(new Answer(404, "{\"object\":\"error\",\"message\":\"no such path\"}", false));
        }
        VllmPusher p = pusher(2);

        assertThat(p.served(KEY, "acme/assistant/general/served/b1-m1").get(20, TimeUnit.SECONDS)).isFalse();
        assertThat(p.served(KEY, "acme/assistant/general/served/b1-m2").get(20, TimeUnit.SECONDS)).isTrue();

        assertThat(p.failed()).isEqualTo(1);
        assertThat(p.pushed()).isEqualTo(1);
        next();
        next();
        assertLoad(next(), KEY + "@b1-m2", "/registry/acme/assistant/general/served/b1-m2");
        assertProbe(next(), KEY + "@b1-m2");
        assertThat(received.poll(200, TimeUnit.MILLISECONDS)).as("nothing to unload: b1-m1 never loaded").isNull();
    }

    private static java.util.List<String> fields(JsonNode n) {
        java.util.List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
