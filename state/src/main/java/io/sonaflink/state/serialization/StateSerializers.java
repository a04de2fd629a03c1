package io.sonaflink.state.serialization;

import io.sonaflink.state.bandit.UcbBandit;
import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.ewc.EwcPlusPlus;
import io.sonaflink.state.lora.AdamOptimizer;
import io.sonaflink.state.lora.BaseLora;
import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.MicroLora;
import io.sonaflink.state.sample.ReservoirSampler;
import io.sonaflink.state.sample.TrajectorySample;

/**
 * The serializers operators use to declare their state descriptors, one per state type, e.g.
 * {@code new ValueStateDescriptor<>("micro-lora", StateSerializers.microLora())}. Declaring state
 * with these (never with a {@code Class} or {@code TypeInformation}) keeps Kryo out of checkpoints
 * and lets a newer release migrate older savepoints through the codecs' format versions.
 */
public final class StateSerializers {

    private StateSerializers() {}

    public static VersionedStateSerializer<LoraAdapter> loraAdapter() {
        return new VersionedStateSerializer<>(new LoraAdapterCodec());
    }

    public static VersionedStateSerializer<MicroLora> microLora() {
        return new VersionedStateSerializer<>(new MicroLoraCodec());
    }

    public static VersionedStateSerializer<AdamOptimizer> adam() {
        return new VersionedStateSerializer<>(new AdamOptimizerCodec());
    }

    public static VersionedStateSerializer<EwcPlusPlus> ewc() {
        return new VersionedStateSerializer<>(new EwcPlusPlusCodec());
    }

    public static VersionedStateSerializer<BaseLora> baseLora() {
        return new VersionedStateSerializer<>(new BaseLoraCodec());
    }

    public static VersionedStateSerializer<Pattern> pattern() {
        return new VersionedStateSerializer<>(new PatternCodec());
    }

    public static VersionedStateSerializer<ReasoningBank> reasoningBank() {
        return new VersionedStateSerializer<>(new ReasoningBankCodec());
    }

    public static VersionedStateSerializer<UcbBandit> bandit() {
        return new VersionedStateSerializer<>(new UcbBanditCodec());
    }

    public static VersionedStateSerializer<TrajectorySample> trajectorySample() {
        return new VersionedStateSerializer<>(new TrajectorySampleCodec());
    }

    public static VersionedStateSerializer<ReservoirSampler<TrajectorySample>> trajectoryReservoir() {
        return new VersionedStateSerializer<>(new TrajectoryReservoirCodec());
    }
}
