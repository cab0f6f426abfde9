package dev.pnn.train.optim;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Tensor;

/**
 * An update rule, as a value: applied to (parameters, gradients, state) at a learning rate.
 * Parameters, gradients and every state buffer are flat and of one shape, so a step is one kernel
 * call over the whole network. The learning rate comes from an {@link LrSchedule}.
 *
 * <p>Every rule is element-wise: the new value of a parameter depends on that parameter, its
 * gradient and its own state only. So a step may be split into parts over consecutive ranges of
 * the flat buffers ({@link #update}), each run on its own thread, and gives the same bits as one
 * call over the whole.
 */
public sealed interface Optimizer permits Sgd, Adam {

    /** How many buffers of the parameters' shape the state needs (velocity; Adam's m and v). */
    int stateBuffers();

    /**
     * Update number {@code t} of {@code params} whose gradient is the product
     * {@code op(a) b} ({@code a} transposed when {@code transA}), applied where that product is
     * computed ({@link dev.pnn.train.model.LayerContext#updateInProduct}): the bits of
     * {@code gemm(transA, false, 1, a, b, 0, grads)} followed by {@link #update}, the gradient
     * stored in {@code grads} or never stored. {@code buffers}: the state's views of the same
     * elements, of {@code params}' shape. Returns false, having done nothing, when the rule has
     * no such form (the caller then computes the gradient and updates later).
     */
    default boolean updateInProduct(Backend backend, boolean transA, Tensor a, Tensor b, Tensor params, Tensor grads,
                                    Tensor[] buffers, long t, float lr) {
        return false;
    }

    /** One update of {@code params} from {@code grads} at learning rate {@code lr}; advances {@code state}. */
    default void step(Backend backend, Tensor params, Tensor grads, OptimizerState state, float lr) {
        update(backend, params, grads, state.buffers(), state.advance(), lr);
    }

    /**
     * Update number {@code t} (counting from 1) of {@code params} from {@code grads}, with the
     * state {@code buffers} ({@link #stateBuffers()} of them), all of one shape: the whole flat
     * buffers, or the same range of each. Does not count the step: {@link #step} does, or the
     * caller that splits one step into ranges calls {@link OptimizerState#advance()} once.
     */
    void update(Backend backend, Tensor params, Tensor grads, Tensor[] buffers, long t, float lr);
}
