package dev.pnn.train.io;

import java.io.IOException;
import java.nio.file.Path;

/** A parameter file is not what {@link ParameterFile#load} needs; the message names file, field, expectation and finding. */
public class ParameterFileException extends IOException {

    private static final long serialVersionUID = 1L;

    public ParameterFileException(Path file, String field, String expected, String found) {
        super(file + ": " + field + ": expected " + expected + ", found " + found);
    }
}
