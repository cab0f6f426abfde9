package dev.pnn.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * A vector of int32 in off-heap memory: class labels, row indices. Like {@link Tensor}, it does
 * not own its memory; the arena it was allocated in does.
 */
public final class IntVector {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    private final MemorySegment segment;
    private final int size;

    private IntVector(MemorySegment segment, int size) {
        this.segment = segment;
        this.size = size;
    }

    /** A new zero-filled vector of {@code size >= 1} ints. */
    public static IntVector allocate(Arena arena, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("IntVector.allocate: size must be >= 1, got " + size);
        }
        return new IntVector(arena.allocate((long) size * Integer.BYTES, Tensor.ALIGNMENT), size);
    }

    /** A new vector holding a copy of {@code values}. */
    public static IntVector of(Arena arena, int... values) {
        IntVector v = allocate(arena, values.length);
        MemorySegment.copy(values, 0, v.segment, INT, 0, values.length);
        return v;
    }

    public int size() {
        return size;
    }

    public int get(int i) {
        return segment.getAtIndex(INT, Objects.checkIndex(i, size));
    }

    public void set(int i, int value) {
        segment.setAtIndex(INT, Objects.checkIndex(i, size), value);
    }

    /** A view of {@code count} elements starting at {@code from}; shares memory. */
    public IntVector slice(int from, int count) {
        Objects.checkFromIndexSize(from, count, size);
        if (count < 1) {
            throw new IllegalArgumentException("IntVector.slice: count must be >= 1, got " + count);
        }
        return new IntVector(segment.asSlice((long) from * Integer.BYTES, (long) count * Integer.BYTES), count);
    }

    /** Copies {@code src}, which must have this vector's size, into this vector; returns this. */
    public IntVector copyFrom(IntVector src) {
        if (src.size != size) {
            throw new ShapeMismatchException("IntVector.copyFrom: destination has " + size + " elements, source "
                    + src.size);
        }
        MemorySegment.copy(src.segment, 0, segment, 0, segment.byteSize());
        return this;
    }

    /**
     * Copies elements {@code from .. from + size() - 1} of {@code src} into this vector (one block
     * copy, however many elements); returns this.
     *
     * @throws IndexOutOfBoundsException when {@code src} has no such elements
     */
    public IntVector copyFrom(IntVector src, int from) {
        Objects.checkFromIndexSize(from, size, src.size);
        MemorySegment.copy(src.segment, (long) from * Integer.BYTES, segment, 0, segment.byteSize());
        return this;
    }

    /**
     * Copies elements {@code at .. at + dst.length - 1} into {@code dst} (one block copy).
     *
     * @throws IndexOutOfBoundsException when this vector has no such elements
     */
    public void get(int at, int[] dst) {
        Objects.checkFromIndexSize(at, dst.length, size);
        MemorySegment.copy(segment, INT, (long) at * Integer.BYTES, dst, 0, dst.length);
    }

    /**
     * Copies {@code values} into this vector from element {@code at} on (one block copy).
     *
     * @throws IndexOutOfBoundsException when they do not fit there
     */
    public void set(int at, int[] values) {
        Objects.checkFromIndexSize(at, values.length, size);
        MemorySegment.copy(values, 0, segment, INT, (long) at * Integer.BYTES, values.length);
    }

    public int[] toArray() {
        return segment.toArray(INT);
    }

    /** The memory behind this vector, for interop. */
    public MemorySegment segment() {
        return segment;
    }

    public boolean overlaps(IntVector other) {
        return Memory.overlaps(segment, other.segment);
    }

    @Override
    public String toString() {
        return "IntVector[" + size + "]";
    }
}
