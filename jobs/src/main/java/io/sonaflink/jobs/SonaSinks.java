package io.sonaflink.jobs;

import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.DeadLetter;
import io.sonaflink.operators.events.GateDecision;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.events.Response;
import io.sonaflink.operators.events.SkillMap;

import org.apache.flink.api.connector.sink2.Sink;

/**
 * Where the job's outputs go; Kafka in production, files or collecting sinks in tests and local
 * runs.
 *
 * @param adapterUpdates versioned adapter updates
 * @param patternSnapshots each key's ReasoningBank after every background cycle
 * @param skillMaps each key's confidence map after every background cycle
 * @param deadLetters every input that could not be used, with its raw bytes and the reason
 * @param gateDecisions what the adapter gate decided about every candidate and command, and why
 * @param responses the inference operator's answers to queries
 */
public record SonaSinks(
        Sink<AdapterUpdate> adapterUpdates,
        Sink<PatternSnapshot> patternSnapshots,
        Sink<SkillMap> skillMaps,
        Sink<DeadLetter> deadLetters,
        Sink<GateDecision> gateDecisions,
        Sink<Response> responses) {}
