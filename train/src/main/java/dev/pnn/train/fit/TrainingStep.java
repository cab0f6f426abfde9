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

import java.lang.foreign.Arena;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One mini-batch step of training a {@link Network}: forward, zero grads, loss, backward,
 * update. {@link Trainer#fit} runs it for every batch; custom training loops can run it too.
 *
 * <p>The step runs the model's {@linkplain Fusions#objective objective}: with {@link Loss#nll()}
 * after a LogSoftMax it runs the model up to its logits and computes the two as one fused
 * cross-entropy kernel. It owns a {@link Workspace} of its own (activations, loss gradient,
 * parameter gradients) and the optimizer's state; a steady-state step allocates nothing off-heap.
 *
 * <p>With {@code shards > 1} it splits each batch into that many consecutive parts of (nearly)
 * equal rows; the first runs on the calling thread, the others on threads the step owns, each in
 * a workspace of its own over the shared parameters. Their gradients (each the mean over its
 * rows) are then added into the first workspace's, weighted by their rows, in shard order, so a
 * given number of shards gives the same bits on every run. Each shard draws its own dropout
 * masks. The backend's BLAS threads are per call: give each shard one
 * ({@code NativeBackend.setThreads(1)}) when there are as many shards as cores.
 */
public final class TrainingStep implements AutoCloseable {

    private final Network net;
    private final Fusions.Objective objective;
    private final Optimizer optimizer;
    private final OptimizerState state;
    private final Workspace workspace;
    private final Workspace[] others;
    private final ExecutorService helpers;
    private final Arena arena;
    private final Tensor[] shardOutputs;
    private Tensor outputs;
    private long seed;
    private Tensor output;

    /**
     * @throws IllegalArgumentException when {@code loss} does not fit the model's last layer
     */
    public TrainingStep(Network net, Loss loss, Optimizer optimizer) {
        this(net, loss, optimizer, 1);
    }

    /**
     * A step that splits each batch over {@code shards} threads (see the class comment).
     *
     * @throws IllegalArgumentException when {@code loss} does not fit the model's last layer, or
     *                                  {@code shards < 1}
     */
    public TrainingStep(Network net, Loss loss, Optimizer optimizer, int shards) {
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be >= 1, got " + shards);
        }
        this.net = net;
        this.objective = Fusions.objective(net.model(), loss);
        long bytes = Parameters.bytesFor(net.model());
        MemoryBudget.require("training model " + net.model().widths() + " (the gradients of " + shards
                + " shards and " + optimizer.stateBuffers() + " optimizer buffers of its parameters)",
                Math.multiplyExact(bytes, (long) shards + optimizer.stateBuffers()));
        this.optimizer = optimizer;
        this.state = new OptimizerState(optimizer, net.parameters().flat());
        this.workspace = net.newWorkspace();
        this.others = new Workspace[shards - 1];
        for (int k = 0; k < others.length; k++) {
            others[k] = net.newWorkspace();
        }
        this.shardOutputs = new Tensor[shards];
        this.arena = shards == 1 ? null : Arena.ofShared();
        this.helpers = shards == 1 ? null : Executors.newFixedThreadPool(shards - 1, r -> {
            Thread t = new Thread(r, "pnn training shard");
            t.setDaemon(true);
            return t;
        });
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
        int rows = inputs.rows();
        int shards = Math.min(others.length + 1, rows);
        if (shards == 1) {
            double loss = shardGradients(0, workspace, seed, inputs, labels);
            output = shardOutputs[0];
            return loss;
        }
        @SuppressWarnings("unchecked")
        Future<Double>[] pending = new Future[shards - 1];
        for (int k = 1; k < shards; k++) {
            Workspace w = others[k - 1];
            int shard = k;
            long shardSeed = seed ^ k * 0xD1B54A32D192ED03L;
            Tensor x = inputs.rows(first(k, shards, rows), first(k + 1, shards, rows) - first(k, shards, rows));
            IntVector y = labels.slice(first(k, shards, rows), x.rows());
            pending[k - 1] = helpers.submit(() -> shardGradients(shard, w, shardSeed, x, y));
        }
        int n0 = first(1, shards, rows);
        double[] losses = new double[shards];
        RuntimeException failure = null;
        try {
            losses[0] = shardGradients(0, workspace, seed, inputs.rows(0, n0), labels.slice(0, n0));
        } catch (RuntimeException e) {
            failure = e;
        }
        for (int k = 1; k < shards; k++) {
            try {
                losses[k] = pending[k - 1].get();
            } catch (ExecutionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e);
                failure = failure == null ? cause : failure;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = failure == null ? new IllegalStateException("interrupted while shards ran", e) : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
        Tensor g = workspace.gradients();
        net.backend().scale((float) n0 / rows, g);
        double loss = losses[0] * n0 / rows;
        Tensor firstOutput = shardOutputs[0];
        if (outputs == null || outputs.rows() < rows || outputs.cols() != firstOutput.cols()) {
            outputs = Tensor.allocate(arena, rows, firstOutput.cols());
        }
        output = outputs.rows(0, rows);
        output.rows(0, n0).copyFrom(firstOutput);
        for (int k = 1; k < shards; k++) {
            int nk = first(k + 1, shards, rows) - first(k, shards, rows);
            net.backend().axpy((float) nk / rows, others[k - 1].gradients(), g);
            loss += losses[k] * nk / rows;
            output.rows(first(k, shards, rows), nk).copyFrom(shardOutputs[k]);
        }
        return loss;
    }

    /** The first row of shard {@code k} of {@code shards} over {@code rows} rows. */
    private static int first(int k, int shards, int rows) {
        return (int) ((long) k * rows / shards);
    }

    /** Shard {@code k}'s forward and backward in {@code w}; leaves its output in {@code shardOutputs[k]}. */
    private double shardGradients(int k, Workspace w, long shardSeed, Tensor inputs, IntVector labels) {
        w.randomStream(shardSeed, state.steps());
        Vjp y = w.forward(inputs, objective.layers(), false, true);
        w.zeroGradients();
        Tensor dy = w.lossGradient(y.output());
        double loss = objective.loss().valueAndGradient(net.backend(), y.output(), labels, dy);
        y.pullback().apply(dy);
        shardOutputs[k] = y.output();
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
        if (helpers != null) {
            helpers.shutdownNow();
        }
        try (state; workspace) {
            output = null;
            outputs = null;
            for (Workspace w : others) {
                w.close();
            }
        } finally {
            if (arena != null) {
                arena.close();
            }
        }
    }
}
