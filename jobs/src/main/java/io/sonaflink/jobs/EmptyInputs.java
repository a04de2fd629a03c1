package io.sonaflink.jobs;

import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.RawRecord;

import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

/** Input streams for runs without that input (no control topic, no queries). */
public final class EmptyInputs {

    private EmptyInputs() {}

    /**
     * A bounded stream with no records, named {@code name}, with the uids {@code sona.source.<name>}
     * and {@code sona.<name>-none}. ({@code fromData} rejects an empty collection at
     * run time and a zero-length generator source still asks for element 0, so one number is read
     * and turned into nothing.)
     */
    public static DataStream<RawRecord> none(StreamExecutionEnvironment env, String name) {
        return env.fromSequence(0, 0).name("no-" + name).uid(SonaPipeline.UID_PREFIX + "source." + name)
                .flatMap((Long ignored, Collector<RawRecord> out) -> { })
                .returns(EventCodecs.RAW_RECORD)
                .name(name).uid(SonaPipeline.UID_PREFIX + name + "-none");
    }
}
