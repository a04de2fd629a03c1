package io.sonaflink.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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

        try (LocalRunProcess run = new LocalRunProcess(ROOT, List.of(), "--serve", "--keys", "1", "--events", "300",
                "--rate", "0", "--out", out.toString())) {
            String serving = run.awaitLine(l -> l.startsWith("serving until Ctrl-C"), Duration.ofMinutes(4));
            assertThat(serving).as("the local run serves; its output:%n%s", run.output()).isNotNull();
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

            run.interrupt(false);
            assertThat(run.awaitExit(Duration.ofMinutes(2))).as("output:%n%s", run.output()).isEqualTo(130);
        }
    }
}
