package dev.pnn.train.fit;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.optim.Optimizer;
import dev.pnn.train.optim.OptimizerState;

/**
 * The same range of the parameters, of a gradient buffer in their layout and of each optimizer
 * buffer: the part of an update one thread of a training step applies.
 */
record ParameterRange(Tensor params, Tensor gradient, Tensor[] buffers) {

    /** Elements {@code [from, from + len)} of {@code params}, {@code gradients} and each of {@code state}'s buffers. */
    static ParameterRange of(Tensor params, Tensor gradients, OptimizerState state, long from, int len) {
        return new ParameterRange(params.view(from, 1, len), gradients.view(from, 1, len),
                state.views(from, Shape.of(1, len)));
    }

    /** Update number {@code step} of this range at learning rate {@code lr}. */
    void update(Optimizer optimizer, Backend backend, long step, float lr) {
        optimizer.update(backend, params, gradient, buffers, step, lr);
    }
}
