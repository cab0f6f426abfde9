package dev.pnn.tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;

/**
 * A dense row-major float32 tensor of any {@link Shape} in an off-heap {@link MemorySegment}.
 *
 * <p>Two-dimensional tensors are the common case and every {@link Backend} operation reads a
 * tensor as the matrix its shape describes ({@link #rows()} by {@link #cols()}: the first
 * dimension by the product of the others), so a batch of {@code 64x1x28x28} images goes through
 * the same code as a {@code 64x784} matrix. Reshaping never copies: the memory is always dense.
 *
 * <p>A tensor does not own its memory: the {@link Arena} it was allocated in does, and whoever
 * created that arena closes it. Views ({@link #rows(int, int)}, {@link #view}, {@link #reshape})
 * share the memory of the tensor they come from.
 *
 * <p>Element access through {@link #get}/{@link #set} is bounds-checked and meant for tests,
 * set-up and small reads; bulk work goes through a {@link Backend}.
 */
public final class Tensor {

    /** Byte alignment of every allocated tensor: a cache line, and a full AVX-512 vector. */
    public static final long ALIGNMENT = 64;

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    private final MemorySegment segment;
    private final Shape shape;
    private final int rows;
    private final int cols;

    private Tensor(MemorySegment segment, Shape shape) {
        this.segment = segment;
        this.shape = shape;
        this.rows = shape.rows();
        this.cols = shape.cols();
    }

    /** A new zero-filled {@code rows x cols} tensor in {@code arena}, 64-byte aligned. */
    public static Tensor allocate(Arena arena, int rows, int cols) {
        return allocate(arena, new Shape(rows, cols));
    }

    /** A new zero-filled tensor of {@code shape} in {@code arena}, 64-byte aligned. */
    public static Tensor allocate(Arena arena, Shape shape) {
        long bytes = Math.multiplyExact(shape.size(), Float.BYTES);
        return new Tensor(arena.allocate(bytes, ALIGNMENT), shape);
    }

    /** A new {@code rows x cols} tensor holding {@code values} in row-major order. */
    public static Tensor of(Arena arena, int rows, int cols, float... values) {
        Tensor t = allocate(arena, rows, cols);
        if (values.length != t.size()) {
            throw new IllegalArgumentException("Tensor.of: a " + t.shape + " tensor needs " + t.size()
                    + " values, got " + values.length);
        }
        MemorySegment.copy(values, 0, t.segment, FLOAT, 0, values.length);
        return t;
    }

    /** A new tensor holding a copy of {@code rows}, which must all have the same length. */
    public static Tensor copyOf(Arena arena, float[][] rows) {
        if (rows.length == 0 || rows[0].length == 0) {
            throw new IllegalArgumentException("Tensor.copyOf: need at least one row and one column");
        }
        Tensor t = allocate(arena, rows.length, rows[0].length);
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length != t.cols()) {
                throw new IllegalArgumentException("Tensor.copyOf: row " + r + " has " + rows[r].length
                        + " values, row 0 has " + t.cols());
            }
            MemorySegment.copy(rows[r], 0, t.segment, FLOAT, (long) r * t.cols() * Float.BYTES, t.cols());
        }
        return t;
    }

    /**
     * A tensor over existing off-heap memory, which must hold exactly {@code rows * cols} floats
     * and be 4-byte aligned. The tensor lives as long as the segment's scope.
     */
    public static Tensor wrap(MemorySegment segment, int rows, int cols) {
        return wrap(segment, new Shape(rows, cols));
    }

    /**
     * A tensor of {@code shape} over existing off-heap memory, which must hold exactly
     * {@code shape.size()} floats and be 4-byte aligned.
     */
    public static Tensor wrap(MemorySegment segment, Shape shape) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("Tensor.wrap: the segment is on the heap; tensors live off-heap "
                    + "(allocate with Tensor.allocate or an Arena)");
        }
        long bytes = Math.multiplyExact(shape.size(), Float.BYTES);
        if (segment.byteSize() != bytes) {
            throw new IllegalArgumentException("Tensor.wrap: a " + shape + " tensor needs " + bytes
                    + " bytes, the segment has " + segment.byteSize());
        }
        if (segment.address() % Float.BYTES != 0) {
            throw new IllegalArgumentException("Tensor.wrap: segment address 0x" + Long.toHexString(segment.address())
                    + " is not 4-byte aligned");
        }
        return new Tensor(segment, shape);
    }

    public Shape shape() {
        return shape;
    }

    /** Rows of the matrix view: the first dimension (1 for a one-dimensional tensor). */
    public int rows() {
        return rows;
    }

    /** Columns of the matrix view: the product of the dimensions after the first. */
    public int cols() {
        return cols;
    }

    /** Number of elements. */
    public long size() {
        return shape.size();
    }

    /** The memory behind this tensor, for interop (e.g. handing it to other native code). */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * A view of {@code count} consecutive rows (entries of the first dimension) starting at
     * {@code from}, keeping the other dimensions; shares memory.
     */
    public Tensor rows(int from, int count) {
        Objects.checkFromIndexSize(from, count, rows);
        if (shape.rank() == 1) {
            return this;
        }
        long rowBytes = (long) cols * Float.BYTES;
        int[] dims = shape.dims();
        dims[0] = count;
        return new Tensor(segment.asSlice(from * rowBytes, count * rowBytes), new Shape(dims));
    }

    /**
     * A view of {@code rows x cols} elements starting at element {@code offset} (row-major) of this
     * tensor; shares memory. This is how one buffer is carved into named tensors, e.g. a network's
     * parameters into per-layer weights and biases.
     */
    public Tensor view(long offset, int rows, int cols) {
        return view(offset, new Shape(rows, cols));
    }

    /** A view of {@code shape.size()} elements starting at element {@code offset}, as {@code shape}; shares memory. */
    public Tensor view(long offset, Shape to) {
        Objects.checkFromIndexSize(offset, to.size(), size());
        return new Tensor(segment.asSlice(offset * Float.BYTES, to.size() * Float.BYTES), to);
    }

    /** A view of the same elements with dimensions {@code dims} (as many elements); shares memory. */
    public Tensor reshape(int... dims) {
        return reshape(new Shape(dims));
    }

    /** A view of the same elements as {@code to}, which must have as many elements; shares memory, never copies. */
    public Tensor reshape(Shape to) {
        if (to.equals(shape)) {
            return this;
        }
        if (to.size() != size()) {
            throw new ShapeMismatchException("reshape: cannot view " + shape + " (" + size() + " elements) as "
                    + to + " (" + to.size() + " elements)");
        }
        return new Tensor(segment, to);
    }

    /** The element at {@code (row, col)} of the matrix view. */
    public float get(int row, int col) {
        return segment.getAtIndex(FLOAT, index(row, col));
    }

    /** Sets the element at {@code (row, col)} of the matrix view. */
    public void set(int row, int col, float value) {
        segment.setAtIndex(FLOAT, index(row, col), value);
    }

    /** Element {@code i} in row-major order. */
    public float getFlat(long i) {
        return segment.getAtIndex(FLOAT, Objects.checkIndex(i, size()));
    }

    /** Sets element {@code i} in row-major order. */
    public void setFlat(long i, float value) {
        segment.setAtIndex(FLOAT, Objects.checkIndex(i, size()), value);
    }

    /** Copies {@code dst.length} elements starting at row-major element {@code offset} into {@code dst}. */
    public void get(long offset, float[] dst) {
        Objects.checkFromIndexSize(offset, dst.length, size());
        MemorySegment.copy(segment, FLOAT, offset * Float.BYTES, dst, 0, dst.length);
    }

    /** Copies {@code src} into this tensor starting at row-major element {@code offset}. */
    public void set(long offset, float[] src) {
        Objects.checkFromIndexSize(offset, src.length, size());
        MemorySegment.copy(src, 0, segment, FLOAT, offset * Float.BYTES, src.length);
    }

    /** Sets every element to {@code value}; returns this. */
    public Tensor fill(float value) {
        if (Float.floatToRawIntBits(value) == 0) {
            segment.fill((byte) 0);
        } else {
            for (long i = 0, n = size(); i < n; i++) {
                segment.setAtIndex(FLOAT, i, value);
            }
        }
        return this;
    }

    /** Sets every element to +0.0 (one memset); returns this. */
    public Tensor zero() {
        segment.fill((byte) 0);
        return this;
    }

    /** Copies {@code src}, which must have this tensor's shape, into this tensor; returns this. */
    public Tensor copyFrom(Tensor src) {
        if (!src.shape.equals(shape)) {
            throw new ShapeMismatchException("copyFrom: destination is " + shape + " but source is " + src.shape);
        }
        MemorySegment.copy(src.segment, 0, segment, 0, segment.byteSize());
        return this;
    }

    /**
     * Copies a block of {@code src}, read as a matrix, into this tensor: rows {@code row ..
     * row + rows() - 1}, columns {@code column .. column + cols() - 1}; returns this. Nothing to
     * copy when this tensor is that block's memory already (whole rows of {@code src}).
     *
     * @throws IndexOutOfBoundsException when the block is not within {@code src}
     */
    public Tensor copyFrom(Tensor src, int row, int column) {
        if (row < 0 || column < 0 || row > src.rows - rows || column > src.cols - cols) {
            throw new IndexOutOfBoundsException("copyFrom: a block of " + rows + "x" + cols + " at row " + row
                    + ", column " + column + " is outside the source's " + src.rows + "x" + src.cols);
        }
        long srcRowBytes = (long) src.cols * Float.BYTES;
        long rowBytes = (long) cols * Float.BYTES;
        long at = row * srcRowBytes + (long) column * Float.BYTES;
        if (cols == src.cols && segment.address() == src.segment.address() + at) {
            return this;
        }
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(src.segment, at + r * srcRowBytes, segment, r * rowBytes, rowBytes);
        }
        return this;
    }

    /** The elements in row-major order, copied onto the heap. */
    public float[] toArray() {
        return segment.toArray(FLOAT);
    }

    /** The elements of the matrix view as {@code rows} arrays of {@code cols}, copied onto the heap. */
    public float[][] toArray2d() {
        float[][] out = new float[rows][cols];
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(segment, FLOAT, (long) r * cols * Float.BYTES, out[r], 0, cols);
        }
        return out;
    }

    /** Channel transfers go in chunks: a ByteBuffer holds at most 2^31 - 1 bytes. */
    private static final long IO_CHUNK = 1L << 30;

    /**
     * Writes the elements to {@code channel} as little-endian float32, row-major, all of them.
     *
     * @throws IOException from the channel, or on a big-endian machine
     */
    public void writeTo(WritableByteChannel channel) throws IOException {
        requireLittleEndian();
        long bytes = segment.byteSize();
        for (long at = 0; at < bytes; at += IO_CHUNK) {
            ByteBuffer b = segment.asSlice(at, Math.min(IO_CHUNK, bytes - at)).asByteBuffer();
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }
    }

    /**
     * Fills this tensor with little-endian float32 values read from {@code channel}, as many as it
     * has elements.
     *
     * @return the number of bytes read: {@code 4 * size()}, or fewer when the channel ended first
     *         (this tensor then holds what was read and its old values after it)
     * @throws IOException from the channel, or on a big-endian machine
     */
    public long readFrom(ReadableByteChannel channel) throws IOException {
        requireLittleEndian();
        long bytes = segment.byteSize();
        long done = 0;
        while (done < bytes) {
            ByteBuffer b = segment.asSlice(done, Math.min(IO_CHUNK, bytes - done)).asByteBuffer();
            while (b.hasRemaining()) {
                if (channel.read(b) < 0) {
                    return done + b.position();
                }
            }
            done += b.position();
        }
        return done;
    }

    private static void requireLittleEndian() throws IOException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IOException("tensor files are little-endian float32; this machine is big-endian");
        }
    }

    /** True when this tensor and {@code other} share at least one byte of memory. */
    public boolean overlaps(Tensor other) {
        return Memory.overlaps(segment, other.segment);
    }

    /** True when this tensor and {@code other} are exactly the same memory (same start and size). */
    public boolean sameMemory(Tensor other) {
        return Memory.same(segment, other.segment);
    }

    private long index(int row, int col) {
        Objects.checkIndex(row, rows);
        Objects.checkIndex(col, cols);
        return (long) row * cols + col;
    }

    @Override
    public String toString() {
        return "Tensor[" + shape + "]";
    }
}
