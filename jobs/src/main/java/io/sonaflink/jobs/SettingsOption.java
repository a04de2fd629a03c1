package io.sonaflink.jobs;

import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code --set KEY=VALUE} option every local entry point takes (a picocli mixin): any job
 * option or Flink setting, checked by {@link CommandLineSettings}.
 */
public final class SettingsOption {

    private final Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "A job option or Flink setting; repeatable. An unknown sona.* key is refused.")
    void set(List<String> keyValues) { // picocli passes all the values so far, each time
        settings.clear();
        keyValues.forEach(kv -> CommandLineSettings.add(settings, kv));
    }

    /** The settings given, in order. */
    public Map<String, String> settings() {
        return settings;
    }
}
