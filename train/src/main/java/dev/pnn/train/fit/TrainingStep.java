package dev.pnn.train.fit;

import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.exec.MemoryBudget;
import dev.pnn.train.exec.Network;
import dev.pnn.train.exec.Parameters;
import dev.pnn.train.exec.Workspace;
import dev.pnn.train.model.Fusions;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Vjp;
import dev.pnn.train.optim.Optimizer;
import dev.pnn.train.optim.OptimizerState;

/**
 * One mini-batch step of training a {@link Network}: forward, zero grads, loss, backward,
 * update. {@link Trainer#fit} runs it for every batch; custom training loops can run it too.
 *
 * <p>The step runs the model's {@linkplain Fusions#objective objective}: with {@link Loss#nll()}
 * after a LogSoftMax it runs the model up to its logits and computes the two as one fused
 * cross-entropy kernel. It owns a {@link Workspace} of its own (activations, loss gradient,
 * parameter gradients) and the optimizer's state; a steady-state step allocates nothing off-heap.
 */
public final class TrainingStep implements AutoCloseable {

    private final Network net;
    private final Fusions.Objective objective;
    private final Optimizer optimizer;
    private final OptimizerState state;
    private final Workspace workspace;
    private long seed;
    private Tensor output;

    /**
     * @throws IllegalArgumentException when {@code loss} does not fit the model's last layer
     */
    public TrainingStep(Network net, Loss loss, Optimizer optimizer) {
        this.net = net;
        this.objective = Fusions.objective(net.model(), loss);
        long bytes = Parameters.bytesFor(net.model());
        MemoryBudget.require("training model " + net.model().widths() + " (the gradients and "
                + optimizer.stateBuffers() + " optimizer buffers of its parameters)",
                Math.multiplyExact(bytes, 1L + optimizer.stateBuffers()));
        this.optimizer = optimizer;
        this.state = new OptimizerState(optimizer, net.parameters().flat());
        this.workspace = net.newWorkspace();
    }

    /**
     * Forward, zero grads, loss, backward, update, at learning rate {@code lr}.
     *
     * @return the mean loss of the batch; when it is not finite the parameters are left as they
     *         were (the caller decides what to do about a diverged run)
     */
    public double run(Tensor inputs, IntVector labels, float lr) {
        double loss = gradients(inputs, labels);
        if (Double.isFinite(loss)) {
            optimizer.step(net.backend(), net.parameters().flat(), workspace.gradients(), state, lr);
        }
        return loss;
    }

    /**
     * Forward, zero grads, loss, backward, without the update: leaves the gradient of the mean
     * loss in {@code workspace().gradients()} and returns the loss.
     */
    public double gradients(Tensor inputs, IntVector labels) {
        workspace.randomStream(seed, state.steps());
        Vjp y = workspace.forward(inputs, objective.layers(), false, true);
        workspace.zeroGradients();
        Tensor dy = workspace.lossGradient(y.output());
        double loss = objective.loss().valueAndGradient(net.backend(), y.output(), labels, dy);
        y.pullback().apply(dy);
        output = y.output();
        return loss;
    }

    /**
     * The output of the last step's forward pass (the logits when the step fuses LogSoftMax into
     * the loss; their argmax is the same), valid until the next step with as many rows.
     */
    public Tensor output() {
        return output;
    }

    /** Seeds the random draws of training passes (dropout masks); the step count positions them. */
    public TrainingStep seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** The workspace this step runs in: its gradients, and a place to evaluate between steps. */
    public Workspace workspace() {
        return workspace;
    }

    /** The optimizer's state: its buffers and the number of updates made. */
    public OptimizerState optimizerState() {
        return state;
    }

    /** Frees the optimizer state and the workspace (not the network). */
    @Override
    public void close() {
        try (state; workspace) {
            output = null;
        }
    }
}
