package dev.pnn.train.model;

import dev.pnn.tensor.Shape;

import java.util.Arrays;

/**
 * One trainable parameter of a layer.
 *
 * @param name        the layer's own name for it, such as {@code weight}; a model prefixes the
 *                    layer's index ({@code 0.weight}), as PyTorch's {@code state_dict} does
 * @param shape       its shape as stored and computed with (row-major)
 * @param initializer how its initial values are drawn
 * @param layout      how its values sit in a model file (and in PyTorch): the stored values,
 *                    read row-major as {@code layout.logical()}, with their axes permuted by
 *                    {@code layout.axes()}
 */
public record ParameterSpec(String name, Shape shape, Initializer initializer, FileLayout layout) {

    /**
     * The stored values read as {@code logical} (as many elements as the stored shape), then
     * axis {@code i} of the file array is axis {@code axes[i]} of that view. A {@link Linear}
     * weight is {@code (in, out)} with axes {@code (1, 0)}: saved {@code (out, in)}. A
     * {@code Conv2d} weight is {@code (kh, kw, in, out)} with axes {@code (3, 2, 0, 1)}: saved
     * {@code (out, in, kh, kw)}.
     */
    public record FileLayout(Shape logical, int[] axes) {
        public FileLayout {
            axes = axes.clone();
            int[] sorted = axes.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < sorted.length; i++) {
                if (sorted[i] != i) {
                    throw new IllegalArgumentException("file layout axes " + Arrays.toString(axes)
                            + ": expected a permutation of 0.." + (logical.rank() - 1));
                }
            }
            if (axes.length != logical.rank()) {
                throw new IllegalArgumentException("file layout: " + axes.length + " axes for a " + logical.rank()
                        + "-dimensional view");
            }
        }

        /** The stored values as they are. */
        public static FileLayout identity(Shape shape) {
            int[] a = new int[shape.rank()];
            for (int i = 0; i < a.length; i++) {
                a[i] = i;
            }
            return new FileLayout(shape, a);
        }

        /** The file array's shape. */
        public Shape fileShape() {
            int[] d = new int[axes.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = logical.dim(axes[i]);
            }
            return new Shape(d);
        }

        /** Whether the file holds the stored values in their own order. */
        public boolean isIdentity() {
            for (int i = 0; i < axes.length; i++) {
                if (axes[i] != i) {
                    return false;
                }
            }
            return true;
        }

        /** The stored values in the file array's row-major order (the array itself when the layout is the identity). */
        public float[] toFile(float[] stored) {
            if (isIdentity()) {
                return stored;
            }
            int[] order = storedIndexOfFileElement();
            float[] file = new float[stored.length];
            for (int f = 0; f < file.length; f++) {
                file[f] = stored[order[f]];
            }
            return file;
        }

        /** The inverse of {@link #toFile}: the file array's values in the stored order. */
        public float[] fromFile(float[] file) {
            if (isIdentity()) {
                return file;
            }
            int[] order = storedIndexOfFileElement();
            float[] stored = new float[file.length];
            for (int f = 0; f < file.length; f++) {
                stored[order[f]] = file[f];
            }
            return stored;
        }

        /** For each element of the file array, in row-major order, its index among the stored values. */
        private int[] storedIndexOfFileElement() {
            int rank = logical.rank();
            int n = Math.toIntExact(logical.size());
            long[] stride = new long[rank];
            long s = 1;
            for (int i = rank - 1; i >= 0; i--) {
                stride[i] = s;
                s *= logical.dim(i);
            }
            int[] out = new int[n];
            int[] index = new int[rank];
            Shape file = fileShape();
            for (int f = 0; f < n; f++) {
                long at = 0;
                for (int i = 0; i < rank; i++) {
                    at += index[i] * stride[axes[i]];
                }
                out[f] = (int) at;
                for (int i = rank - 1; i >= 0; i--) {
                    if (++index[i] < file.dim(i)) {
                        break;
                    }
                    index[i] = 0;
                }
            }
            return out;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof FileLayout f && logical.equals(f.logical) && Arrays.equals(axes, f.axes);
        }

        @Override
        public int hashCode() {
            return 31 * logical.hashCode() + Arrays.hashCode(axes);
        }
    }

    public ParameterSpec {
        if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("parameter name '" + name + "': expected letters, digits and _");
        }
        if (shape == null || initializer == null || layout == null) {
            throw new IllegalArgumentException("parameter " + name + ": shape, initializer and layout are required");
        }
        if (layout.logical().size() != shape.size()) {
            throw new IllegalArgumentException("parameter " + name + " of shape " + shape + ": a file layout over "
                    + layout.logical() + " has another number of elements");
        }
    }

    /** A parameter stored as PyTorch and model files hold it. */
    public ParameterSpec(String name, Shape shape, Initializer initializer) {
        this(name, shape, initializer, FileLayout.identity(shape));
    }

    /** Its shape in a model file and in PyTorch. */
    public Shape fileShape() {
        return layout.fileShape();
    }
}
