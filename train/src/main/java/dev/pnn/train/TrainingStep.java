package dev.pnn.train;

import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * One mini-batch step of training a {@link Network}: forward, zero grads, loss, backward,
 * update. {@link Trainer#fit} runs it for every batch; custom training loops can run it too.
 *
 * <p>When the loss is {@link Loss#nll()} and the model ends in {@link LogSoftMax}, the step runs
 * the model up to its logits and computes LogSoftMax and NLL as one fused cross-entropy kernel:
 * the same loss and gradient, in one pass. The loss gradient buffers are allocated once per
 * batch size; a steady-state step allocates nothing off-heap.
 */
public final class TrainingStep implements AutoCloseable {

    /**
     * How a step computes the loss: through how many layers of the model, with which loss.
     *
     * @param layers the prefix of the model the step runs
     * @param loss   the loss applied to that prefix's output
     */
    record Objective(int layers, Loss loss) {

        static Objective of(Model model, Loss loss) {
            int n = model.layers().size();
            boolean logSoftMaxLast = model.layers().get(n - 1) instanceof LogSoftMax;
            return switch (loss) {
                case Loss.Nll nll -> {
                    if (!logSoftMaxLast) {
                        throw new IllegalArgumentException("the nll loss expects log-probabilities, but model " + model
                                + " does not end in LogSoftMax: add one, or use Loss.crossEntropy() on the logits");
                    }
                    yield n > 1 ? new Objective(n - 1, Loss.crossEntropy()) : new Objective(n, nll);
                }
                case Loss.CrossEntropy ce -> {
                    if (logSoftMaxLast) {
                        throw new IllegalArgumentException("the cross-entropy loss applies its own log-softmax, but "
                                + "model " + model + " already ends in LogSoftMax: use Loss.nll()");
                    }
                    yield new Objective(n, ce);
                }
                case Loss.Mse mse -> new Objective(n, mse);
            };
        }
    }

    private final Network net;
    private final Objective objective;
    private final Optimizer optimizer;
    private final OptimizerState state;
    private final Arena arena = Arena.ofShared();
    private final List<Tensor> lossGradients = new ArrayList<>(2);
    private Tensor output;

    /**
     * @throws IllegalArgumentException when {@code loss} does not fit the model's last layer
     */
    public TrainingStep(Network net, Loss loss, Optimizer optimizer) {
        this.net = net;
        this.objective = Objective.of(net.model(), loss);
        this.optimizer = optimizer;
        this.state = new OptimizerState(optimizer, net.parameters());
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
            optimizer.step(net.backend(), net.parameters(), net.gradients(), state, lr);
        }
        return loss;
    }

    /**
     * Forward, zero grads, loss, backward, without the update: leaves the gradient of the mean
     * loss in {@link Network#gradients()} and returns the loss.
     */
    public double gradients(Tensor inputs, IntVector labels) {
        Vjp y = net.forward(inputs, objective.layers(), false);
        net.zeroGradients();
        Tensor dy = lossGradient(inputs.rows(), y.output().cols());
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

    /** The optimizer's state: its buffers and the number of updates made. */
    public OptimizerState optimizerState() {
        return state;
    }

    private Tensor lossGradient(int rows, int cols) {
        for (int i = 0; i < lossGradients.size(); i++) {
            if (lossGradients.get(i).rows() == rows) {
                return lossGradients.get(i);
            }
        }
        Tensor t = Tensor.allocate(arena, rows, cols);
        lossGradients.add(t);
        return t;
    }

    /** Frees the optimizer state and the loss gradient buffers (not the network). */
    @Override
    public void close() {
        state.close();
        arena.close();
    }
}
