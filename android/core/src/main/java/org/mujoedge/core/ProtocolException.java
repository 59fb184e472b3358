package org.mujoedge.core;

/** A malformed packet, frame or control record (Python: {@code ProtocolError}); such data is counted, not used. */
public class ProtocolException extends MujoException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }
}
