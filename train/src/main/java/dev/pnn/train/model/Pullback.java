package dev.pnn.train.model;

import dev.pnn.tensor.Tensor;

/**
 * The backward half of a forward pass, in the manner of JAX's {@code vjp}: given the gradient of
 * the loss with respect to the output, it accumulates the parameters' gradients and returns the
 * gradient with respect to the input (null when the forward pass was asked not to compute it).
 */
@FunctionalInterface
public interface Pullback {
    Tensor apply(Tensor dOutput);
}
