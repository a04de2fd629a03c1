package io.sonaflink.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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
        // setsid makes the run its process group's leader, so that the group is the run and its broker
        try (LocalRunProcess run = new LocalRunProcess(Path.of("").toAbsolutePath(), List.of(SETSID.toString()),
                "--keys", "1", "--events", "50000", "--rate", "500", "--out", out.toString(),
                "--set", "sona.embedding.dimension=16", "--set", "sona.background.pattern-clusters=10")) {
            // a progress line says the job is consuming the workload
            assertThat(run.awaitLine(l -> l.matches("\\[\\s*\\d+ s.*"), Duration.ofMinutes(3)))
                    .as("the run started replaying; output so far:%n%s", run.output()).isNotNull();
            List<ProcessHandle> children = run.process().descendants().toList();
            assertThat(children).as("the broker runs beside the job").isNotEmpty();

            long pressed = System.nanoTime();
            run.interrupt(true);
            int status = run.awaitExit(Duration.ofMinutes(3));
            System.out.printf("Ctrl-C to exit: %.1f s%n", (System.nanoTime() - pressed) / 1e9);
            assertThat(status).as("output:%n%s", run.output()).isEqualTo(130);
            assertThat(run.lines()).anyMatch(l -> l.startsWith("stopping the job with a savepoint"))
                    .anyMatch(l -> l.startsWith("savepoint: file:"))
                    .anyMatch(l -> l.contains("stopped before the end of the workload"));
            assertThat(out.resolve("report.html")).isNotEmptyFile();
            assertThat(out.resolve("summary.txt")).isNotEmptyFile();
            assertThat(children).as("the broker stopped").noneMatch(ProcessHandle::isAlive);
        }
    }
}
