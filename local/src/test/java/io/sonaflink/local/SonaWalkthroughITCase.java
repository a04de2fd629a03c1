package io.sonaflink.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's walkthrough, run as written: a local run in {@code --serve} mode, then the shell
 * block of "Producing to the topics" (between its {@code walkthrough} markers) in the repository
 * root, with Kafka's console tools behind {@code bin/sona-kafka}. It must print the response to the
 * query, the error response and dead letter of the malformed one, and the gate's decision on the pin.
 */
class SonaWalkthroughITCase {

    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Pattern WALKTHROUGH = Pattern.compile(
            "<!-- walkthrough:start -->.*?```sh\\n(.*?)```.*?```sh\\n(.*?)```.*?<!-- walkthrough:end -->", Pattern.DOTALL);

    @TempDir
    Path out;

    @Test
    void theReadmesProducingSectionRunsAsWrittenAgainstAServingLocalRun() throws Exception {
        Matcher m = WALKTHROUGH.matcher(Files.readString(ROOT.resolve("README.md")));
        assertThat(m.find()).as("the README's walkthrough block").isTrue();
        assertThat(m.group(1).trim()).isEqualTo("bin/sona-local --serve");
        String commands = m.group(2);

        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), SonaLocal.class.getName(), "--serve",
                "--keys", "1", "--events", "300", "--rate", "0", "--out", out.toString()));
        Process run = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true).start();
        List<String> lines = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> readLines(run, lines));
        try {
            assertThat(Polling.until(() -> lines.stream().anyMatch(l -> l.startsWith("serving until Ctrl-C")),
                    Duration.ofMinutes(4), Duration.ofMillis(200)))
                    .as("the local run serves; its output:%n%s", String.join("\n", lines)).isTrue();
            String serving = lines.stream().filter(l -> l.startsWith("serving until Ctrl-C")).findFirst().orElseThrow();
            Matcher kafka = Pattern.compile("Kafka at (\\S+)").matcher(serving);
            assertThat(kafka.find()).isTrue();

            ProcessBuilder shell = new ProcessBuilder("bash", "-euo", "pipefail", "-c", commands)
                    .directory(ROOT.toFile()).redirectErrorStream(true);
            shell.environment().put("SONA_KAFKA_BOOTSTRAP", kafka.group(1));
            shell.environment().put("SONA_CLASSPATH", System.getProperty("java.class.path"));
            Process walkthrough = shell.start();
            String printed = new String(walkthrough.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(walkthrough.waitFor(3, TimeUnit.MINUTES)).isTrue();
            assertThat(walkthrough.exitValue()).as("the walkthrough's commands; they printed:%n%s", printed).isZero();

            assertThat(printed)
                    .as("the response to q-1").containsPattern("\\{\"id\":\"q-1\",\"key\":\\{\"tenant\":\"acme\","
                            + "\"persona\":\"support\",\"domain\":\"billing\"},\"micro_version\":\\d+")
                    .as("the error response to q-2")
                    .containsPattern("\\{\"id\":\"q-2\",\"key\":\\{[^}]*},\"error\":\"embedding: expected 256 values, got 8\"")
                    .as("q-2's dead letter").containsPattern("\"source\":\"sona.queries\".*\"reason\":\"embedding: expected 256"
                            + " values, got 8\"")
                    .as("the gate's decision on the pin").containsPattern("\"control_id\":\"c-1\"");

            Process interrupt = new ProcessBuilder("kill", "-INT", Long.toString(run.pid())).inheritIO().start();
            assertThat(interrupt.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(run.waitFor(2, TimeUnit.MINUTES)).isTrue();
            reader.get(10, TimeUnit.SECONDS);
            assertThat(run.exitValue()).as("output:%n%s", String.join("\n", lines)).isEqualTo(130);
        } finally {
            run.descendants().forEach(ProcessHandle::destroyForcibly);
            run.destroyForcibly();
        }
    }

    private static void readLines(Process run, List<String> lines) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(run.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                lines.add(line);
            }
        } catch (IOException e) {
            lines.add("reading the run's output failed: " + e);
        }
    }
}
