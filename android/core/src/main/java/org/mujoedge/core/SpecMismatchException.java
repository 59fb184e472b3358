package org.mujoedge.core;

/**
 * The device does not deliver what the model's sensor spec needs (channels, a usable rate), or data does not
 * fit the spec (Python: {@code SpecMismatchError}). The app shows it as an error; nothing is silently resampled
 * to another rate or zero-filled.
 */
public class SpecMismatchException extends MujoException {
    private static final long serialVersionUID = 1L;

    public SpecMismatchException(String message) {
        super(message);
    }
}
