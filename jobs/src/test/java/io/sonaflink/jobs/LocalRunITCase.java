package io.sonaflink.jobs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's run command in a short mode: the local run over the built-in workload. */
class LocalRunITCase {

    @Test
    void localRunWritesEveryOutputAndASummary(@TempDir Path out) throws Exception {
        LocalRun.main(new String[] {
            "--out", out.toString(), "--conf", "../conf", "--keys", "2", "--events", "400",
            "--set", "sona.embedding.dimension=32", "--set", "sona.background.pattern-clusters=30",
            "--set", "restart-strategy.type=none"
        });

        String summary = Files.readString(out.resolve("summary.txt"));
        assertThat(summary).contains("800 trajectories").contains("acme/assistant/general")
                .contains("globex/assistant/general");
        assertThat(RunSummary.read(out, "adapter-updates")).isNotEmpty();
        // One window holds both tasks of each key: 2 x 10 planted clusters, a pattern each (a first
        // window of ~18 trajectories a cluster may keep a piece of one apart; the next absorbs it).
        assertThat(RunSummary.read(out, "pattern-snapshots")).hasSize(2)
                .allSatisfy(s -> assertThat(s.get("patterns").size()).isBetween(20, 22));
        assertThat(RunSummary.read(out, "skill-maps")).hasSize(2)
                .allSatisfy(m -> assertThat(m.get("confidence").asDouble()).isGreaterThan(0.5));
        assertThat(RunSummary.read(out, "dead-letters")).isNotEmpty()
                .allSatisfy(d -> assertThat(d.get("reason").asText()).isNotBlank());
    }

    /**
     * The backfill command over a file, streamed: an invalid UTF-8 line and an empty line are dead
     * letters with their line numbers, as over Kafka, a CRLF line end is accepted, and with no
     * signals file the run still ends with its outputs.
     */
    @Test
    void fileReplayStreamsEveryLineAndNeedsNoSignalsFile(@TempDir Path dir) throws Exception {
        io.sonaflink.jobs.workload.Workload workload = io.sonaflink.jobs.workload.WorkloadGenerator.generate(
                new io.sonaflink.jobs.workload.WorkloadSpec(1, 200, 8, 2, 2, 0.0, 0.0, 0.5, 3L));
        java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
        int line = 0;
        int invalidLine = -1;
        int emptyLine = -1;
        for (byte[] trajectory : workload.trajectories()) {
            file.write(trajectory);
            file.write(++line == 7 ? new byte[] {'\r', '\n'} : new byte[] {'\n'});
            if (line == 50) {
                file.write(new byte[] {'{', '"', 'i', 'd', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'});
                invalidLine = ++line;
                file.write('\n');
                emptyLine = ++line;
            }
        }
        Path trajectories = dir.resolve("trajectories.jsonl");
        Files.write(trajectories, file.toByteArray());
        Path out = dir.resolve("out");

        LocalRun.main(new String[] {
            "--trajectories", trajectories.toString(), "--out", out.toString(), "--conf", "../conf",
            "--set", "sona.embedding.dimension=8", "--set", "restart-strategy.type=none"
        });

        var dead = RunSummary.read(out, "dead-letters");
        assertThat(dead).extracting(d -> d.get("offset").asInt()).containsExactlyInAnyOrder(invalidLine, emptyLine);
        assertThat(dead).allSatisfy(d -> assertThat(d.get("source").asText()).isEqualTo("trajectories.jsonl"));
        assertThat(dead).anySatisfy(d -> assertThat(d.get("reason").asText()).isEqualTo("payload: empty"));
        assertThat(RunSummary.read(out, "pattern-snapshots")).hasSize(1);
        assertThat(Files.readString(out.resolve("summary.txt"))).contains((workload.trajectories().size() + 2)
                + " trajectories and 0 signals");
    }
}
