package dev.pnn.tensor;

/**
 * The shape of a dense row-major matrix: {@code rows x cols}, both at least 1.
 *
 * @param rows number of rows, {@code >= 1}
 * @param cols number of columns, {@code >= 1}
 */
public record Shape(int rows, int cols) {

    public Shape {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("shape " + rows + "x" + cols + ": rows and cols must be >= 1");
        }
    }

    /** Number of elements, {@code rows * cols} (never overflows: both are ints). */
    public long size() {
        return (long) rows * cols;
    }

    /** Prints as {@code 64x784}, the form every shape-mismatch message uses. */
    @Override
    public String toString() {
        return rows + "x" + cols;
    }
}
