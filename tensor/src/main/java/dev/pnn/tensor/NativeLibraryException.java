package dev.pnn.tensor;

/** The BLAS library or the panama-nn kernels could not be loaded; the message says where we looked and what to do. */
public class NativeLibraryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public NativeLibraryException(String message) {
        super(message);
    }

    public NativeLibraryException(String message, Throwable cause) {
        super(message, cause);
    }
}
