package dev.pnn.tensor;

/** An operation was given tensors whose shapes do not fit together; the message shows both. */
public class ShapeMismatchException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public ShapeMismatchException(String message) {
        super(message);
    }
}
