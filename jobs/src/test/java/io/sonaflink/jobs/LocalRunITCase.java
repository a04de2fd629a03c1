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
}
