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
     * Whether an update is plain gradient descent, {@code params -= lr * grads} to the bit, with
     * no state: a training step may then apply it to a parameter inside the product that
     * computes its gradient ({@link dev.pnn.train.model.LayerContext#descentRate}).
     */
    default boolean plainDescent() {
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
