package io.sonaflink.jobs;

import java.util.Map;

/** The {@code --set key=value} arguments of the local runs: any job option or Flink setting. */
public final class CommandLineSettings {

    private CommandLineSettings() {}

    /** Adds {@code key=value} to {@code settings}; rejects an argument without a key. */
    public static void add(Map<String, String> settings, String keyValue) {
        int eq = keyValue.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("--set expects key=value, got " + keyValue);
        }
        settings.put(keyValue.substring(0, eq).trim(), keyValue.substring(eq + 1).trim());
    }
}
