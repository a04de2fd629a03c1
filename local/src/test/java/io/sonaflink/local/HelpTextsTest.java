package io.sonaflink.local;

import io.sonaflink.jobs.CommandLines;
import io.sonaflink.jobs.LocalRun;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scripts answer {@code --help} from {@code bin/lib/help/} without building anything first;
 * this keeps those files what each entry point's own {@code --help} prints. After changing an
 * option, write them again with {@code -Dsona.help.write=true}.
 */
class HelpTextsTest {

    private static final Path HELP = Path.of("..", "bin", "lib", "help");

    static Map<String, String> texts() {
        Map<String, String> texts = new TreeMap<>();
        texts.put("sona-local.txt", SonaLocal.usage());
        texts.put("sona-local-replay.txt", LocalRun.usage());
        texts.put("sona-bench.txt", CommandLines.usage(new SonaBench()));
        texts.put("sona-savepoint.txt", CommandLines.usage(new SavepointTool()));
        return texts;
    }

    @Test
    void theCommittedHelpIsWhatEachEntryPointPrints() throws Exception {
        for (Map.Entry<String, String> text : texts().entrySet()) {
            Path file = HELP.resolve(text.getKey());
            if (Boolean.getBoolean("sona.help.write")) {
                Files.writeString(file, text.getValue());
            }
            assertThat(file).as("bin/lib/help/%s (write it again with -Dsona.help.write=true)", text.getKey())
                    .hasContent(text.getValue());
        }
    }
}
