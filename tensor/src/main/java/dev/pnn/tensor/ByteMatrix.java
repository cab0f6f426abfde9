package dev.pnn.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * A dense row-major matrix of unsigned bytes in off-heap memory, such as a dataset of greyscale
 * images, one image a row. Values read back as ints in {@code [0, 255]}. The arena it was
 * allocated in owns its memory.
 */
public final class ByteMatrix {

    private final MemorySegment segment;
    private final Shape shape;

    private ByteMatrix(MemorySegment segment, Shape shape) {
        this.segment = segment;
        this.shape = shape;
    }

    /** A new zero-filled {@code rows x cols} matrix. */
    public static ByteMatrix allocate(Arena arena, int rows, int cols) {
        Shape shape = new Shape(rows, cols);
        return new ByteMatrix(arena.allocate(shape.size(), Tensor.ALIGNMENT), shape);
    }

    public Shape shape() {
        return shape;
    }

    public int rows() {
        return shape.rows();
    }

    public int cols() {
        return shape.cols();
    }

    /** The element at {@code (row, col)} as an int in {@code [0, 255]}. */
    public int get(int row, int col) {
        return Byte.toUnsignedInt(segment.get(ValueLayout.JAVA_BYTE, offset(row, col)));
    }

    /** Sets the element at {@code (row, col)} to {@code value}, which must be in {@code [0, 255]}. */
    public void set(int row, int col, int value) {
        if (value < 0 || value > 255) {
            throw new IllegalArgumentException("ByteMatrix.set: " + value + " is not an unsigned byte");
        }
        segment.set(ValueLayout.JAVA_BYTE, offset(row, col), (byte) value);
    }

    /**
     * Copies {@code length} bytes of {@code src} from {@code from} into this matrix at row-major
     * element {@code offset}: bulk loading, e.g. from a file.
     */
    public void write(long offset, byte[] src, int from, int length) {
        Objects.checkFromIndexSize(from, length, src.length);
        Objects.checkFromIndexSize(offset, length, shape.size());
        MemorySegment.copy(src, from, segment, ValueLayout.JAVA_BYTE, offset, length);
    }

    /** Copies {@code dst.length} bytes starting at row-major element {@code offset} into {@code dst}. */
    public void read(long offset, byte[] dst) {
        Objects.checkFromIndexSize(offset, dst.length, shape.size());
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, dst, 0, dst.length);
    }

    /** The memory behind this matrix, for interop. */
    public MemorySegment segment() {
        return segment;
    }

    private long offset(int row, int col) {
        Objects.checkIndex(row, rows());
        Objects.checkIndex(col, cols());
        return (long) row * cols() + col;
    }

    @Override
    public String toString() {
        return "ByteMatrix[" + shape + "]";
    }
}
