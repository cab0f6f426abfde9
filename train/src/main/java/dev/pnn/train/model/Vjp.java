package dev.pnn.train.model;

import dev.pnn.tensor.Tensor;

/**
 * What a forward pass returns: its output and the pullback that carries a gradient back through it.
 *
 * @param output   the forward result
 * @param pullback maps the gradient with respect to {@code output} to the gradient with respect
 *                 to the input, accumulating parameter gradients on the way
 */
public record Vjp(Tensor output, Pullback pullback) {}
