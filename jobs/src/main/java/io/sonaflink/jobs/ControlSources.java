package io.sonaflink.jobs;

import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.RawRecord;

import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

/** Control streams for runs without a control topic. */
public final class ControlSources {

    private ControlSources() {}

    /**
     * A bounded control stream with no commands. ({@code fromData} rejects an empty collection at
     * run time and a zero-length generator source still asks for element 0, so one number is read
     * and turned into nothing.)
     */
    public static DataStream<RawRecord> none(StreamExecutionEnvironment env) {
        return env.fromSequence(0, 0).name("no-control").uid("sona.source.control")
                .flatMap((Long ignored, Collector<RawRecord> out) -> { })
                .returns(EventCodecs.RAW_RECORD)
                .name("control").uid("sona.control-none");
    }
}
