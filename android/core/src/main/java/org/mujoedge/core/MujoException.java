package org.mujoedge.core;

/**
 * Base of every error the core raises on purpose (the twin of Python's {@code MujoEdgeError}).
 * Messages name the bad value and, where there is a closed set, the valid options.
 */
public class MujoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MujoException(String message) {
        super(message);
    }

    public MujoException(String message, Throwable cause) {
        super(message, cause);
    }
}
