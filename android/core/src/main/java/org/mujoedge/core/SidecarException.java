package org.mujoedge.core;

/** A sidecar that is not valid JSON, of another format or version, or whose sensor spec or tensor contract is invalid. */
public class SidecarException extends MujoException {
    private static final long serialVersionUID = 1L;

    public SidecarException(String message) {
        super(message);
    }

    public SidecarException(String message, Throwable cause) {
        super(message, cause);
    }
}
