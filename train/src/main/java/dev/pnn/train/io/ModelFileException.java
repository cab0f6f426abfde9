package dev.pnn.train.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A model or checkpoint file is not what it must be: the message names the file, the entry or
 * field, what was expected and what was found, e.g.
 * {@code mnist.npz: 0.weight.npy: shape: expected (128, 784), found (784, 128)}.
 */
public class ModelFileException extends IOException {

    private static final long serialVersionUID = 1L;

    public ModelFileException(Path file, String where, String expected, String found) {
        super(file + ": " + where + ": expected " + expected + ", found " + found);
    }

    public ModelFileException(Path file, String where, String expected, String found, Throwable cause) {
        super(file + ": " + where + ": expected " + expected + ", found " + found, cause);
    }
}
