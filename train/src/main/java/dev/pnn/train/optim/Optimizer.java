package dev.pnn.train.optim;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Tensor;

/**
 * An update rule, as a value: applied to (parameters, gradients, state) at a learning rate.
 * Parameters, gradients and every state buffer are flat and of one shape, so a step is one kernel
 * call over the whole network. The learning rate comes from an {@link LrSchedule}.
 */
public sealed interface Optimizer permits Sgd, Adam {

    /** How many buffers of the parameters' shape the state needs (velocity; Adam's m and v). */
    int stateBuffers();

    /** One update of {@code params} from {@code grads} at learning rate {@code lr}; advances {@code state}. */
    void step(Backend backend, Tensor params, Tensor grads, OptimizerState state, float lr);
}
