package dev.pnn.train.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A CSV file is not what the reader needs: the message names the file, the line and the column,
 * what was expected and what was found, e.g.
 * {@code iris.csv: line 7, column 3 (petal_length): expected a number, found 'abc'}.
 */
public class CsvFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    public CsvFormatException(Path file, String where, String expected, String found) {
        super(file + ": " + where + ": expected " + expected + ", found " + found);
    }
}
