package io.sonaflink.operators.parse;

import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.Control;
import io.sonaflink.operators.events.ControlCommand;
import io.sonaflink.operators.events.RawRecord;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Locale;
import java.util.Map;

import static io.sonaflink.operators.parse.ParseFixtures.KEY;
import static io.sonaflink.operators.parse.ParseFixtures.LIMITS;
import static io.sonaflink.operators.parse.ParseFixtures.control;
import static io.sonaflink.operators.parse.ParseFixtures.key;
import static io.sonaflink.operators.parse.ParseFixtures.raw;
import static io.sonaflink.operators.parse.ParseFixtures.text;
import static io.sonaflink.operators.parse.ParseFixtures.withRawField;
import static org.assertj.core.api.Assertions.assertThat;

class EventParserControlTest {

    private static final long TIMESTAMP = 1_700_000_001_000L;

    // ---- valid: one of every command ----

    @Test
    void parsesAPromoteOfAHeldChallengerVersion() {
        ObjectNode c = control("c-1", "promote");
        c.set("key", key());
        c.put("kind", "micro");
        c.put("version", 7);

        assertThat(parsed(c)).isEqualTo(Control.promote("c-1", KEY, AdapterKind.MICRO, 7, TIMESTAMP));
    }

    @Test
    void parsesARollbackToThePreviousVersionOfEveryKey() {
        assertThat(parsed(control("c-2", "rollback"))).isEqualTo(Control.rollback("c-2", null, null, 0, TIMESTAMP));
    }

    @Test
    void parsesAPinAtAVersion() {
        ObjectNode c = control("c-3", "pin");
        c.set("key", key());
        c.put("kind", "base");
        c.put("version", 4);

        assertThat(parsed(c)).isEqualTo(Control.pin("c-3", KEY, AdapterKind.BASE, 4, TIMESTAMP));
    }

    @Test
    void parsesUnpinPauseAndResume() {
        ObjectNode unpin = control("c-4", "unpin");
        unpin.set("key", key());
        assertThat(parsed(unpin)).isEqualTo(Control.unpin("c-4", KEY, TIMESTAMP));

        assertThat(parsed(control("c-5", "pause_learning"))).isEqualTo(Control.pauseLearning("c-5", null, TIMESTAMP));
        assertThat(parsed(control("c-6", "resume_learning")))
                .isEqualTo(Control.resumeLearning("c-6", null, TIMESTAMP));
    }

    @Test
    void parsesGovernorToggles() {
        ObjectNode c = control("c-7", "set_governor");
        c.set("key", key());
        c.putObject("toggles").put("cost_cap", true).put("quality_floor", false);

        assertThat(parsed(c)).isEqualTo(Control.setGovernor("c-7", KEY,
                Map.of("cost_cap", true, "quality_floor", false), TIMESTAMP));
    }

    @Test
    void parsesThresholds() {
        ObjectNode c = control("c-8", "set_thresholds");
        c.putObject("thresholds")
                .put(Control.THRESHOLD_RETENTION, 0.9)
                .put(Control.THRESHOLD_AUTO_ROLLBACK_QUALITY, 0);

        assertThat(parsed(c)).isEqualTo(Control.setThresholds("c-8", null,
                Map.of(Control.THRESHOLD_RETENTION, 0.9, Control.THRESHOLD_AUTO_ROLLBACK_QUALITY, 0.0), TIMESTAMP));
    }

    @ParameterizedTest
    @EnumSource(ControlCommand.class)
    void everyCommandIsReadByItsLowercaseNameAndCaseInsensitively(ControlCommand command) {
        String name = command.name().toLowerCase(Locale.ROOT);
        ObjectNode c = control("c-9", name);
        if (command == ControlCommand.SET_GOVERNOR) {
            c.putObject("toggles").put("cost_cap", true);
        } else if (command == ControlCommand.SET_THRESHOLDS) {
            c.putObject("thresholds").put(Control.THRESHOLD_RETENTION, 1.0);
        }

        assertThat(parsed(c).command()).isEqualTo(command);
        c.put("command", command.name());
        assertThat(parsed(c).command()).isEqualTo(command);
    }

    @Test
    void optionalFieldsSetToNullCountAsAbsentAndUnknownFieldsAreIgnored() {
        ObjectNode c = control("c-10", "ROLLBACK");
        c.putNull("key");
        c.putNull("kind");
        c.putNull("version");
        c.putNull("toggles");
        c.putNull("thresholds");
        c.put("operator", "alice");
        c.put("kind", "Base");

        assertThat(parsed(c)).isEqualTo(Control.rollback("c-10", null, AdapterKind.BASE, 0, TIMESTAMP));
    }

    @Test
    void aZeroVersionNeedsNoKindAndWholeNumbersWithAnExponentAreAccepted() {
        ObjectNode pin = control("c-11", "pin");
        pin.put("version", 0);
        assertThat(parsed(pin)).isEqualTo(Control.pin("c-11", null, null, 0, TIMESTAMP));

        ObjectNode rollback = control("c-12", "rollback");
        rollback.put("kind", "micro");
        rollback.put("scope", "all");
        Control parsed = parsed(withRawField(rollback, "version", "3.0e0"));
        assertThat(parsed.version()).isEqualTo(3);
    }

    // ---- rejected ----

    @Test
    void malformedAndNonObjectPayloads() {
        assertThat(rejection("{\"id\": \"c-1\",, }")).startsWith("malformed JSON: ").contains("line 1, column 14");
        assertThat(rejection("")).isEqualTo("payload: empty");
        assertThat(rejection("\"promote\"")).isEqualTo("payload: expected a JSON object, got string");
        assertThat(rejection(text(control("c-1", "pause_learning")) + " {}"))
                .startsWith("malformed JSON: Trailing token");
    }

    @Test
    void oversizedPayloadIsRejectedBeforeParsing() {
        RawRecord raw = new RawRecord(new byte[LIMITS.maxPayloadBytes() + 1], "control", 0, 0);

        assertThat(rejection(EventParser.parseControl(raw, LIMITS)))
                .isEqualTo("payload: 1048577 bytes exceeds the 1048576-byte limit");
    }

    @Test
    void idAndTimestamp() {
        ObjectNode c = control("c-1", "unpin");
        c.remove("id");
        assertThat(rejection(c)).isEqualTo("id: missing");

        c = control("c-1", "unpin");
        c.put("id", true);
        assertThat(rejection(c)).isEqualTo("id: expected a string, got boolean");

        c = control("c-1", "unpin");
        c.put("id", "");
        assertThat(rejection(c)).isEqualTo("id: must not be blank");

        c = control("c-1", "unpin");
        c.remove("timestamp");
        assertThat(rejection(c)).isEqualTo("timestamp: missing");

        c = control("c-1", "unpin");
        c.put("timestamp", "2024-01-01T00:00:00Z");
        assertThat(rejection(c)).isEqualTo("timestamp: expected a non-negative integer, got string");
    }

    @Test
    void missingAndUnknownCommands() {
        ObjectNode c = control("c-1", "unpin");
        c.remove("command");
        assertThat(rejection(c)).isEqualTo("command: missing");

        assertThat(rejection(control("c-1", "demote"))).isEqualTo("command: unknown value \"demote\" (expected one of"
                + " promote, rollback, pin, unpin, pause_learning, resume_learning, set_governor, set_thresholds)");

        c = control("c-1", "pause");
        assertThat(rejection(c)).startsWith("command: unknown value \"pause\"");

        c.put("command", 1);
        assertThat(rejection(c)).isEqualTo("command: expected a string, got number");
    }

    @Test
    void keyIsParsedLikeATrajectorysKey() {
        ObjectNode c = control("c-1", "unpin");
        c.set("key", key());
        c.withObjectProperty("key").remove("persona");
        assertThat(rejection(c)).isEqualTo("key.persona: missing");

        c = control("c-1", "unpin");
        c.set("key", key());
        c.withObjectProperty("key").put("domain", "billing/eu");
        assertThat(rejection(c)).startsWith("key.domain: must not contain '/'");

        c = control("c-1", "unpin");
        c.put("key", "acme/support/billing");
        assertThat(rejection(c)).isEqualTo("key: expected an object, got string");
    }

    @Test
    void kindAndVersion() {
        ObjectNode c = control("c-1", "promote");
        c.put("kind", "lora");
        assertThat(rejection(c)).isEqualTo("kind: unknown value \"lora\" (expected one of micro, base)");

        c = control("c-1", "promote");
        c.put("version", -2);
        assertThat(rejection(c)).isEqualTo("version: must not be negative, got -2");

        c = control("c-1", "promote");
        c.put("version", 2.5);
        assertThat(rejection(c)).isEqualTo("version: expected an integer, got 2.5");

        c = control("c-1", "rollback");
        c.put("version", "3");
        assertThat(rejection(c)).isEqualTo("version: expected a non-negative integer, got string");
    }

    @Test
    void aSpecificVersionNeedsAKindAndForAPinAKey() {
        ObjectNode c = control("c-1", "rollback");
        c.put("version", 3);
        assertThat(rejection(c)).isEqualTo("kind: missing (a rollback of a specific version needs a kind:"
                + " versions are numbered per key and kind)");

        c.put("command", "promote");
        assertThat(rejection(c)).startsWith("kind: missing (a promote of a specific version needs a kind");

        c = control("c-1", "pin");
        c.put("version", 3);
        c.put("kind", "micro");
        assertThat(rejection(c)).isEqualTo("key: missing (a pin of a specific version applies to one key)");
    }

    @Test
    void kindAndVersionOnCommandsThatDoNotUseThem() {
        ObjectNode c = control("c-1", "pause_learning");
        c.put("kind", "micro");
        assertThat(rejection(c)).isEqualTo("kind: not allowed (only promote, rollback and pin name an adapter kind)");

        c = control("c-1", "unpin");
        c.put("version", 0);
        assertThat(rejection(c)).isEqualTo("version: not allowed (only promote, rollback and pin name a version)");
    }

    @Test
    void governorToggles() {
        assertThat(rejection(control("c-1", "set_governor")))
                .isEqualTo("toggles: missing (set_governor needs at least one toggle)");

        ObjectNode c = control("c-1", "set_governor");
        c.putObject("toggles");
        assertThat(rejection(c)).isEqualTo("toggles: empty (set_governor needs at least one toggle)");

        c.putObject("toggles").put("cost_cap", "yes");
        assertThat(rejection(c)).isEqualTo("toggles.cost_cap: expected a boolean, got string");

        c.putObject("toggles").put(" ", true);
        assertThat(rejection(c)).isEqualTo("toggles: a toggle name is blank");

        c.putObject("toggles").put("cost@eu", true);
        assertThat(rejection(c))
                .isEqualTo("toggles.cost@eu: the name must not contain '@', which separates a setting from its key");

        c.putArray("toggles").add(true);
        assertThat(rejection(c)).isEqualTo("toggles: expected an object, got array");

        c = control("c-1", "pin");
        c.putObject("toggles").put("cost_cap", true);
        assertThat(rejection(c)).isEqualTo("toggles: not allowed (only set_governor carries toggles)");
    }

    @Test
    void thresholds() {
        assertThat(rejection(control("c-1", "set_thresholds")))
                .isEqualTo("thresholds: missing (set_thresholds needs at least one threshold)");

        ObjectNode c = control("c-1", "set_thresholds");
        c.putObject("thresholds");
        assertThat(rejection(c)).isEqualTo("thresholds: empty (set_thresholds needs at least one threshold)");

        c.putObject("thresholds").put("minQuality", 0.5);
        assertThat(rejection(c)).isEqualTo(
                "thresholds.minQuality: unknown threshold (expected one of retention, autoRollbackQuality)");

        c.putObject("thresholds").put(Control.THRESHOLD_RETENTION, "0.9");
        assertThat(rejection(c)).isEqualTo("thresholds.retention: expected a number, got string");

        assertThat(rejection(withRawField(control("c-1", "set_thresholds"), "thresholds", "{\"retention\": NaN}")))
                .isEqualTo("thresholds.retention: NaN is not allowed");
        assertThat(rejection(withRawField(control("c-1", "set_thresholds"), "thresholds",
                "{\"autoRollbackQuality\": -Infinity}")))
                .isEqualTo("thresholds.autoRollbackQuality: -Infinity is not allowed");

        c = control("c-1", "set_governor");
        c.putObject("toggles").put("cost_cap", true);
        c.putObject("thresholds").put(Control.THRESHOLD_RETENTION, 0.9);
        assertThat(rejection(c)).isEqualTo("thresholds: not allowed (only set_thresholds carries thresholds)");
    }

    @Test
    void outOfRangeThresholdsAreLeftToTheGate() {
        ObjectNode c = control("c-1", "set_thresholds");
        c.putObject("thresholds").put(Control.THRESHOLD_AUTO_ROLLBACK_QUALITY, 1.5);

        assertThat(parsed(c).thresholds()).containsExactly(Map.entry(Control.THRESHOLD_AUTO_ROLLBACK_QUALITY, 1.5));
    }

    // ---- scope ----

    /** One mutated command without its key must not change every key: that needs "scope": "all". */
    @Test
    void aCommandForEveryKeySaysSo() {
        ObjectNode c = control("c-1", "rollback");
        assertThat(rejection(text(c))).isEqualTo("key: missing: a command for every key needs \"scope\": \"all\"");
        c.put("scope", "all");
        assertThat(parsed(text(c)).key()).isNull();
        c.set("key", key());
        assertThat(rejection(text(c))).startsWith("scope: \"all\" with a key");
        c.put("scope", "key");
        assertThat(parsed(text(c)).key()).isEqualTo(KEY);
        c.put("scope", "everything");
        assertThat(rejection(text(c))).startsWith("scope: expected \"key\", \"all\" or \"ahead\"");
    }

    @Test
    void onlyAPinOfOneKeyMayComeAheadOfItsFirstEvent() {
        ObjectNode pin = control("c-1", "pin");
        pin.set("key", key());
        pin.put("scope", "ahead");
        assertThat(parsed(text(pin)).ahead()).isTrue();
        pin.put("command", "rollback");
        assertThat(rejection(text(pin))).startsWith("scope: \"ahead\" is for a pin of one key");
        pin.put("command", "pin");
        pin.remove("key");
        assertThat(rejection(text(pin))).startsWith("scope: \"ahead\" is for a pin of one key");
    }

    // ---- helpers ----

    /** Parsed, as a command for every key when it names none (the scope rules have tests of their own). */
    private static Control parsed(ObjectNode node) {
        if (node.path("key").isMissingNode() || node.path("key").isNull()) {
            node.put("scope", "all");
        }
        return parsed(text(node));
    }

    private static Control parsed(String json) {
        ParseResult<Control> result = EventParser.parseControl(raw(json, 0), LIMITS);
        assertThat(result).isInstanceOf(ParseResult.Parsed.class);
        return ((ParseResult.Parsed<Control>) result).value();
    }

    private static String rejection(ObjectNode node) {
        if (!node.has("scope") && (node.path("key").isMissingNode() || node.path("key").isNull())) {
            node.put("scope", "all");
        }
        return rejection(text(node));
    }

    private static String rejection(String json) {
        return rejection(EventParser.parseControl(raw(json, 0), LIMITS));
    }

    private static String rejection(ParseResult<?> result) {
        assertThat(result).isInstanceOf(ParseResult.Rejected.class);
        return ((ParseResult.Rejected<?>) result).reason();
    }
}
