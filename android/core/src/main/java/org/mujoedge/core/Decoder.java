package org.mujoedge.core;

/** A started stream's decoder: bytes of one notification in, samples out ({@link MujoProtocol.MujoDecoder},
 * {@link PolarPmd.PolarDecoder}). Malformed input throws {@link ProtocolException}. */
public interface Decoder {
    /** The rate the device applied, Hz (device clock). */
    double rateHz();

    /** Channel names of the stream, in sample order. */
    String[] channels();

    /** Decodes one notification. */
    SampleBatch decode(byte[] data);
}
