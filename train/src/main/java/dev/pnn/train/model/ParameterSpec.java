package dev.pnn.train.model;

import dev.pnn.tensor.Shape;

/**
 * One trainable parameter of a layer.
 *
 * @param name        the layer's own name for it, such as {@code weight}; a model prefixes the
 *                    layer's index ({@code 0.weight}), as PyTorch's {@code state_dict} does
 * @param shape       its shape as stored (row-major)
 * @param initializer how its initial values are drawn
 */
public record ParameterSpec(String name, Shape shape, Initializer initializer) {

    public ParameterSpec {
        if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("parameter name '" + name + "': expected letters, digits and _");
        }
        if (shape == null || initializer == null) {
            throw new IllegalArgumentException("parameter " + name + ": shape and initializer are required");
        }
    }
}
