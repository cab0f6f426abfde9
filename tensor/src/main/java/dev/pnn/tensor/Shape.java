package dev.pnn.tensor;

import java.util.Arrays;

/**
 * The dimensions of a dense row-major tensor: one or more, each at least 1, their product at
 * most {@link #MAX_SIZE}.
 *
 * <p>Every shape also reads as a matrix, which is how the {@link Backend} operations see it:
 * {@link #rows()} is the first dimension and {@link #cols()} the product of the others (a batch
 * of {@code 64x1x28x28} images is a {@code 64 x 784} matrix, as PyTorch's {@code flatten(1)}
 * sees it). A one-dimensional shape {@code (n)} reads as one row of {@code n}: a bias vector.
 *
 * <p>Immutable; equal when the dimensions are equal.
 */
public final class Shape {

    /** The most elements a shape may have: as many as a matrix of int rows and int columns. */
    public static final long MAX_SIZE = (long) Integer.MAX_VALUE * Integer.MAX_VALUE;

    private final int[] dims;
    private final long size;
    private final int rows;
    private final int cols;

    /**
     * @param dims one or more dimensions, each {@code >= 1}
     * @throws IllegalArgumentException for no dimensions, a dimension below 1, or a matrix view
     *                                  whose columns would not fit an int
     */
    public Shape(int... dims) {
        if (dims.length == 0) {
            throw new IllegalArgumentException("a shape needs at least one dimension");
        }
        this.dims = dims.clone();
        long n = 1;
        for (int d : this.dims) {
            if (d < 1) {
                throw new IllegalArgumentException("shape " + format(this.dims) + ": every dimension must be >= 1");
            }
            if (n > MAX_SIZE / d) {
                throw new IllegalArgumentException("shape " + format(this.dims) + " has more than "
                        + MAX_SIZE + " elements");
            }
            n *= d;
        }
        this.size = n;
        if (this.dims.length == 1) {
            this.rows = 1;
            this.cols = this.dims[0];
        } else {
            this.rows = this.dims[0];
            long c = n / this.dims[0];
            if (c > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + format(this.dims) + ": the dimensions after the first "
                        + "hold " + c + " elements, more than a matrix row of " + Integer.MAX_VALUE);
            }
            this.cols = (int) c;
        }
    }

    /** The same as {@code new Shape(dims)}. */
    public static Shape of(int... dims) {
        return new Shape(dims);
    }

    /** This shape with {@code rows} in front: the shape of a batch of {@code rows} samples of this shape. */
    public Shape batch(int rows) {
        int[] d = new int[dims.length + 1];
        d[0] = rows;
        System.arraycopy(dims, 0, d, 1, dims.length);
        return new Shape(d);
    }

    /** The dimensions after the first: the shape of one sample when this is a batch. Needs rank >= 2. */
    public Shape sample() {
        if (dims.length < 2) {
            throw new IllegalArgumentException("shape " + this + " has one dimension: it has no sample shape");
        }
        return new Shape(Arrays.copyOfRange(dims, 1, dims.length));
    }

    /** Number of dimensions. */
    public int rank() {
        return dims.length;
    }

    /** Dimension {@code i}, from 0. */
    public int dim(int i) {
        return dims[i];
    }

    /** A copy of the dimensions. */
    public int[] dims() {
        return dims.clone();
    }

    /** Number of elements. */
    public long size() {
        return size;
    }

    /** Rows of the matrix view: the first dimension, or 1 for a one-dimensional shape. */
    public int rows() {
        return rows;
    }

    /** Columns of the matrix view: the product of the dimensions after the first, or the only one. */
    public int cols() {
        return cols;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** Prints as {@code 64x784} or {@code 64x1x28x28}, the form every shape-mismatch message uses. */
    @Override
    public String toString() {
        return format(dims);
    }

    private static String format(int[] dims) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < dims.length; i++) {
            s.append(i == 0 ? "" : "x").append(dims[i]);
        }
        return s.toString();
    }
}
