package dev.pnn.train.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A data file is not what it must be. The message names the file, the field, what was expected
 * and what was found: {@code data/mnist/train-labels-idx1-ubyte: magic number: expected 0x00000801
 * (unsigned bytes, 1 dimension), found 0x00000803 (unsigned bytes, 3 dimensions)}.
 */
public class IdxFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String field;
    private final String expected;
    private final String found;

    public IdxFormatException(Path file, String field, String expected, String found) {
        this(file, field, expected, found, null);
    }

    public IdxFormatException(Path file, String field, String expected, String found, Throwable cause) {
        super(file + ": " + field + ": expected " + expected + ", found " + found, cause);
        this.file = file;
        this.field = field;
        this.expected = expected;
        this.found = found;
    }

    public Path file() {
        return file;
    }

    public String field() {
        return field;
    }

    public String expected() {
        return expected;
    }

    public String found() {
        return found;
    }
}
