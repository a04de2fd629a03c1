package io.sonaflink.jobs;

import org.apache.commons.text.similarity.LevenshteinDistance;
import org.apache.flink.configuration.ConfigOption;

import java.util.Map;

/** The {@code --set key=value} arguments of the local runs: any job option or Flink setting. */
public final class CommandLineSettings {

    private CommandLineSettings() {}

    /**
     * Adds {@code key=value} to {@code settings}; rejects an argument without a key, and a {@code
     * sona.*} key the job does not know (a misspelt key would be ignored), naming the nearest one.
     */
    public static void add(Map<String, String> settings, String keyValue) {
        int eq = keyValue.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("--set expects key=value, got " + keyValue);
        }
        String key = keyValue.substring(0, eq).trim();
        requireKnown(key);
        settings.put(key, keyValue.substring(eq + 1).trim());
    }

    /** Rejects a {@code sona.*} key the job does not know, naming the nearest known one. */
    public static void requireKnown(String key) {
        if (key.startsWith(SonaOptions.PREFIX) && !known(key)) {
            throw new IllegalArgumentException("unknown setting " + key + nearest(key));
        }
    }

    private static boolean known(String key) {
        return key.startsWith(SonaOptions.KAFKA_PROPERTIES_PREFIX)
                || SonaOptions.all().stream().anyMatch(o -> o.key().equals(key));
    }

    private static String nearest(String key) {
        LevenshteinDistance distance = LevenshteinDistance.getDefaultInstance();
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (ConfigOption<?> option : SonaOptions.all()) {
            int d = distance.apply(key, option.key());
            if (d < bestDistance) {
                best = option.key();
                bestDistance = d;
            }
        }
        return best != null && bestDistance <= Math.max(3, key.length() / 4) ? "; did you mean " + best + "?"
                : " (the README lists every sona.* setting)";
    }
}
