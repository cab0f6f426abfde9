package dev.pnn.train.model;

import dev.pnn.tensor.Shape;

/**
 * One trainable parameter of a layer.
 *
 * @param name        the layer's own name for it, such as {@code weight}; a model prefixes the
 *                    layer's index ({@code 0.weight}), as PyTorch's {@code state_dict} does
 * @param shape       its shape as stored (row-major)
 * @param initializer how its initial values are drawn
 * @param transposed  whether it is stored as the transpose of the matrix that PyTorch, and a
 *                    model file, hold: a {@link Linear} weight is stored {@code in x out} and
 *                    saved {@code out x in}; only two-dimensional parameters can be
 */
public record ParameterSpec(String name, Shape shape, Initializer initializer, boolean transposed) {

    public ParameterSpec {
        if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("parameter name '" + name + "': expected letters, digits and _");
        }
        if (shape == null || initializer == null) {
            throw new IllegalArgumentException("parameter " + name + ": shape and initializer are required");
        }
        if (transposed && shape.rank() != 2) {
            throw new IllegalArgumentException("parameter " + name + " of shape " + shape
                    + ": only a two-dimensional parameter can be stored transposed");
        }
    }

    /** A parameter stored as PyTorch and model files hold it. */
    public ParameterSpec(String name, Shape shape, Initializer initializer) {
        this(name, shape, initializer, false);
    }

    /** Its shape in a model file and in PyTorch: {@link #shape()}, or its transpose when {@link #transposed()}. */
    public Shape fileShape() {
        return transposed ? new Shape(shape.dim(1), shape.dim(0)) : shape;
    }
}
