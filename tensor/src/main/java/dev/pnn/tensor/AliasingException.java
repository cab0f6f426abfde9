package dev.pnn.tensor;

/** An operation was given an output that overlaps an input in a way the operation cannot allow. */
public class AliasingException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public AliasingException(String message) {
        super(message);
    }
}
