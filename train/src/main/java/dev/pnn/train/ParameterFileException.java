package dev.pnn.train;

import java.io.IOException;
import java.nio.file.Path;

/** A parameter file is not what {@link Network#loadParameters} needs; the message names file, field, expectation and finding. */
public class ParameterFileException extends IOException {

    private static final long serialVersionUID = 1L;

    public ParameterFileException(Path file, String field, String expected, String found) {
        super(file + ": " + field + ": expected " + expected + ", found " + found);
    }
}
