package io.sonaflink.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Ctrl-C in the terminal, as a person presses it: SIGINT to the local run's whole process group
 * while the workload is being replayed. The run stops the job with a savepoint, writes its report,
 * stops its broker and exits 130.
 */
class SonaLocalInterruptITCase {

    private static final Path SETSID = Path.of("/usr/bin/setsid");

    @TempDir
    Path out;

    @Test
    void ctrlCStopsWithASavepointWritesTheReportAndExits130() throws Exception {
        assumeThat(Files.isExecutable(SETSID)).as("setsid, to signal a process group as a terminal does").isTrue();
        List<String> command = new ArrayList<>(List.of(SETSID.toString(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), SonaLocal.class.getName(),
                "--keys", "1", "--events", "50000", "--rate", "500", "--out", out.toString(),
                "--set", "sona.embedding.dimension=16", "--set", "sona.background.pattern-clusters=10"));
        Process run = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> readLines(run, lines));
        try {
            // a progress line says the job is consuming the workload
            assertThat(Polling.until(() -> lines.stream().anyMatch(l -> l.matches("\\[\\s*\\d+ s.*")),
                    java.time.Duration.ofMinutes(3), java.time.Duration.ofMillis(200)))
                    .as("the run started replaying; output so far:%n%s", String.join("\n", lines)).isTrue();

            List<ProcessHandle> children = run.descendants().toList();
            assertThat(children).as("the broker runs beside the job").isNotEmpty();
            long pressed = System.nanoTime();
            // setsid made the run its process group's leader: -pid is the whole group, broker included
            Process kill = new ProcessBuilder("kill", "-INT", "--", "-" + run.pid()).inheritIO().start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0).isTrue();

            assertThat(run.waitFor(3, TimeUnit.MINUTES)).as("the run ended; output:%n%s", String.join("\n", lines))
                    .isTrue();
            reader.get(10, TimeUnit.SECONDS);
            System.out.printf("Ctrl-C to exit: %.1f s%n", (System.nanoTime() - pressed) / 1e9);
            assertThat(run.exitValue()).as("output:%n%s", String.join("\n", lines)).isEqualTo(130);
            assertThat(lines).anyMatch(l -> l.startsWith("stopping the job with a savepoint"))
                    .anyMatch(l -> l.startsWith("savepoint: file:"))
                    .anyMatch(l -> l.contains("stopped before the end of the workload"));
            assertThat(out.resolve("report.html")).isNotEmptyFile();
            assertThat(out.resolve("summary.txt")).isNotEmptyFile();
            assertThat(children).as("the broker stopped").noneMatch(ProcessHandle::isAlive);
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
