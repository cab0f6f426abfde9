package dev.pnn.train.fit;

import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Pinning;
import dev.pnn.tensor.Tensor;
import dev.pnn.tensor.WorkerTeam;
import dev.pnn.train.exec.MemoryBudget;
import dev.pnn.train.exec.Network;
import dev.pnn.train.exec.Parameters;
import dev.pnn.train.exec.Workspace;
import dev.pnn.train.model.Fusions;
import dev.pnn.train.model.Loss;
import dev.pnn.train.optim.Optimizer;
import dev.pnn.train.optim.OptimizerState;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * One mini-batch step of training a {@link Network}: forward, zero grads, loss, backward,
 * update. {@link Trainer#fit} runs it for every batch; custom training loops can run it too.
 *
 * <p>The step runs the model's {@linkplain Fusions#objective objective}: with {@link Loss#nll()}
 * after a LogSoftMax it runs the model up to its logits and computes the two as one fused
 * cross-entropy kernel. It owns a {@link Workspace} of its own (activations, loss gradient,
 * parameter gradients) and the optimizer's state; a steady-state step allocates nothing off-heap.
 *
 * <p>With SGD ({@link Optimizer#updateInProduct}: plain, with momentum, Nesterov, weight decay)
 * the step updates a {@code Linear}'s weight where the product that computes its gradient runs,
 * and the rest of the parameters after the backward pass: on one shard every {@code Linear}'s
 * weight ({@link Workspace#backward(Tensor, Workspace.ProductUpdate)}); with the first layer
 * split by its inputs, that layer's weight when the update keeps no state (plain SGD). The same
 * bits as the whole update after the backward pass; with the own product kernel the gradient of
 * those weights is never stored, one pass over them fewer. The workspace then holds no gradient
 * for those weights; {@link #gradients} computes them all.
 *
 * <p>With {@code shards > 1} it splits each batch into that many consecutive parts of (nearly)
 * equal rows and runs them on a {@link WorkerTeam} (the first on the calling thread), each in a
 * workspace of its own over the shared parameters, with its loss gradient weighted by its share
 * of the batch's rows. Then the same team sums the gradients into the first workspace's, in
 * shard order, and applies the optimizer's update, each member over its own range of the
 * parameters. Sum and update are element-wise, so a given number of shards gives the same bits
 * on every run. Each shard draws its own dropout masks. A model whose first layer is a
 * {@code Linear} with at least 32 inputs a shard is split differently: that layer by its inputs,
 * the rest by rows ({@link FirstLayerSplit}), so that its weights, most of an MLP's, never travel
 * between cores. The backend's BLAS threads are per call: give each shard one
 * ({@code NativeBackend.setThreads(1)}) when there are as many shards as cores.
 *
 * <p>Run a JVM that trains with shards with {@code -XX:TieredStopAtLevel=1}: under the JVM's
 * defaults a step's code runs in the compiler's profiling tier for its first few thousand
 * calls, and shards that update the same profile counters at once run those steps two to three
 * times slower.
 */
public final class TrainingStep implements AutoCloseable {

    /**
     * Fills the part of a batch's inputs that a thread uses, on that thread, for
     * {@link #run(Tensor, IntVector, float, Fill)}: {@code Batches::fill} gathers it.
     */
    @FunctionalInterface
    public interface Fill {
        /**
         * Fills {@code block} with the batch's inputs from row {@code row} and feature
         * {@code column} on, {@code block.rows()} rows of {@code block.cols()} features: a view of
         * those rows of the inputs when it takes whole rows, or a tensor of its own. Called from
         * several threads at once, for disjoint blocks.
         */
        void fill(Tensor block, int row, int column);
    }

    private final Network net;
    private final Fusions.Objective objective;
    private final Optimizer optimizer;
    private final OptimizerState state;
    private final Workspace workspace;
    private final Workspace[] others;
    private final int shardCount;
    private final WorkerTeam team;
    /** How the shards split a model whose first layer is a wide Linear; null: they split the batch. */
    private final FirstLayerSplit split;
    private final Arena arena;
    private final Tensor[] shardOutputs;
    private final double[] shardLosses;
    /** Per member: its range of the parameters (with the first workspace's gradient), of each shard's gradients. */
    private final ParameterRange[] paramRanges;
    private final Tensor[][] gradientRanges;
    private final IntConsumer shardTask = this::runShard;
    private final IntConsumer reduceTask = this::reduceRange;
    private Tensor outputs;
    private Tensor joinedOutput;
    private int outputRows;
    private final Tensor[] shardOutputViews;
    // each shard's views of the batch, and the batch tensors they were made from
    private final Tensor[] shardInputs;
    private final IntVector[] shardLabels;
    private final Tensor[] slicedInputs;
    private final IntVector[] slicedLabels;
    private long seed;
    private Tensor output;
    // the batch being split, for the team's members
    private Tensor batchInputs;
    private IntVector batchLabels;
    private Fill batchFill;
    private int batchShards;
    private long updateStep;
    private float updateLr;
    /** Whether the running step updates parameters where their gradients are computed (one shard). */
    private boolean inProduct;
    /** That update's number (0: none this step) and learning rate. */
    private long productStep;
    private float productLr;
    private final Workspace.ProductUpdate productUpdate = this::updateInProduct;
    /**
     * Where each parameter starts in the flat buffer, in layout order, and the end last; the
     * optimizer state's views of each parameter.
     */
    private final long[] parameterOffsets;
    private final Tensor[][] parameterBuffers;
    /** Which parameters the pullbacks updated when {@link #rest} was made. */
    private boolean[] restPattern;
    /** The runs of consecutive parameters the pullbacks did not update, for the optimizer after them. */
    private ParameterRange[] rest;

    /**
     * @throws IllegalArgumentException when {@code loss} does not fit the model's last layer
     */
    public TrainingStep(Network net, Loss loss, Optimizer optimizer) {
        this(net, loss, optimizer, 1);
    }

    /**
     * A step that splits each batch over {@code shards} threads (see the class comment), pinned
     * to CPUs as the system property {@value Pinning#PROPERTY} asks ({@link Pinning#fromSystemProperty()};
     * not pinned when it is not set).
     *
     * @throws IllegalArgumentException when {@code loss} does not fit the model's last layer, or
     *                                  {@code shards < 1}, or the property's value is not a pinning
     */
    public TrainingStep(Network net, Loss loss, Optimizer optimizer, int shards) {
        this(net, loss, optimizer, shards, Pinning.fromSystemProperty());
    }

    /**
     * A step that splits each batch over {@code shards} threads (see the class comment), shard
     * {@code k}'s thread on the CPU {@code pinning} gives member {@code k} of its team (the
     * calling thread is shard 0: {@link WorkerTeam}); one shard runs on the calling thread alone
     * and pins nothing. Pinning changes where the threads run, never what they compute.
     *
     * @throws IllegalArgumentException when {@code loss} does not fit the model's last layer, or
     *                                  {@code shards < 1}, or {@code pinning} names fewer CPUs
     *                                  than shards or CPUs this process may not use
     * @throws UnsupportedOperationException when pinning is asked for where threads cannot be pinned
     */
    public TrainingStep(Network net, Loss loss, Optimizer optimizer, int shards, Pinning pinning) {
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
        this.shardCount = shards;
        boolean splitFirstLayer = FirstLayerSplit.appliesTo(net.model(), loss, shards);
        this.others = new Workspace[splitFirstLayer ? 0 : shards - 1];
        for (int k = 0; k < others.length; k++) {
            others[k] = net.newWorkspace();
        }
        this.shardOutputs = new Tensor[shards];
        this.shardLosses = new double[shards];
        this.shardOutputViews = new Tensor[shards];
        int rowViews = splitFirstLayer ? 0 : shards; // the split keeps its own views of the batch
        this.shardInputs = new Tensor[rowViews];
        this.shardLabels = new IntVector[rowViews];
        this.slicedInputs = new Tensor[rowViews];
        this.slicedLabels = new IntVector[rowViews];
        this.arena = shards == 1 ? null : Arena.ofShared();
        this.team = shards == 1 ? null : new WorkerTeam(shards, "pnn training shard", pinning);
        this.split = splitFirstLayer ? new FirstLayerSplit(net, loss, optimizer, state, workspace, team) : null;
        List<String> names = net.parameters().names();
        this.parameterOffsets = new long[names.size() + 1];
        this.parameterBuffers = new Tensor[names.size()][];
        for (int i = 0; i < names.size(); i++) {
            Tensor p = net.parameters().get(names.get(i));
            parameterBuffers[i] = state.views(parameterOffsets[i], p.shape());
            parameterOffsets[i + 1] = parameterOffsets[i] + p.size();
        }
        // member k's range of every flat buffer: [first(k), first(k + 1)) of the parameter count,
        // over as many members as there are parameters at most (each range at least one)
        Tensor params = net.parameters().flat();
        int count = Math.toIntExact(params.size());
        int ranges = shards == 1 || split != null ? 0 : Math.min(shards, count);
        this.paramRanges = new ParameterRange[ranges];
        this.gradientRanges = new Tensor[ranges][shards];
        Tensor gradients = ranges == 0 ? null : workspace.gradients();
        for (int k = 0; k < ranges; k++) {
            int from = first(k, ranges, count);
            int len = first(k + 1, ranges, count) - from;
            paramRanges[k] = ParameterRange.of(params, gradients, state, from, len);
            gradientRanges[k][0] = paramRanges[k].gradient();
            for (int j = 1; j < shards; j++) {
                gradientRanges[k][j] = others[j - 1].gradients().view(from, 1, len);
            }
        }
    }

    /**
     * Forward, zero grads, loss, backward, update, at learning rate {@code lr}.
     *
     * @return the mean loss of the batch; when it is not finite the parameters are left as they
     *         were (the caller decides what to do about a diverged run)
     */
    public double run(Tensor inputs, IntVector labels, float lr) {
        return run(inputs, labels, lr, null);
    }

    /**
     * As {@link #run(Tensor, IntVector, float)}, for a batch whose inputs are not filled yet
     * ({@code Batches.nextUnfilled}): each thread first has {@code fill} fill the part of the
     * batch it uses, on its own thread, so that the batch is gathered in parallel and each part
     * lands in the cache of the core that uses it. That part is a shard's rows, or, when the
     * first layer is split by its inputs, a thread's features of every row, gathered into a block
     * of its own: the inputs tensor is then left as it was. With {@code fill == null} the inputs
     * are taken as they are.
     */
    public double run(Tensor inputs, IntVector labels, float lr, Fill fill) {
        int shards = shardsFor(inputs.rows());
        // on one shard the pullbacks update the weights where the products that compute their
        // gradients run, when the optimizer can (the same bits, one pass over them fewer)
        inProduct = shards == 1;
        productLr = lr;
        productStep = 0;
        double loss;
        try {
            loss = forwardBackward(inputs, labels, shards, fill);
        } finally {
            inProduct = false;
        }
        if (shards == 1) {
            if (Double.isFinite(loss)) {
                if (productStep > 0) {
                    updateRest(productStep, lr);
                } else {
                    optimizer.step(net.backend(), net.parameters().flat(), workspace.gradients(), state, lr);
                }
            }
        } else {
            reduce(Double.isFinite(loss) ? state.advance() : 0, lr);
        }
        return loss;
    }

    /**
     * Forward, zero grads, loss, backward, without the update: leaves the gradient of the mean
     * loss in {@code workspace().gradients()} and returns the loss.
     */
    public double gradients(Tensor inputs, IntVector labels) {
        int shards = shardsFor(inputs.rows());
        double loss = forwardBackward(inputs, labels, shards, null);
        if (shards > 1) {
            reduce(0, 0f);
        }
        return loss;
    }

    private int shardsFor(int rows) {
        return Math.min(shardCount, rows);
    }

    /** Every shard's forward and backward; the mean loss over the batch. */
    private double forwardBackward(Tensor inputs, IntVector labels, int shards, Fill fill) {
        int rows = inputs.rows();
        if (shards == 1) {
            if (fill != null) {
                fill.fill(inputs, 0, 0);
            }
            double loss = shardGradients(0, workspace, seed, inputs, labels, 1f);
            output = shardOutputs[0];
            return loss;
        }
        batchShards = shards;
        if (split != null) {
            split.forwardBackward(inputs, labels, shards, fill, seed, shardOutputs, shardLosses);
        } else {
            batchInputs = inputs;
            batchLabels = labels;
            batchFill = fill;
            try {
                team.run(shardTask);
            } finally {
                batchInputs = null;
                batchLabels = null;
                batchFill = null;
            }
        }
        Tensor firstOutput = shardOutputs[0];
        if (outputs == null || outputs.rows() < rows || outputs.cols() != firstOutput.cols()) {
            outputs = Tensor.allocate(arena, rows, firstOutput.cols());
            outputRows = 0;
        }
        if (outputRows != rows) {
            // views of the joined output, made once per batch size
            outputRows = rows;
            joinedOutput = outputs.rows(0, rows);
            for (int k = 0; k < shards; k++) {
                shardOutputViews[k] = joinedOutput.rows(first(k, shards, rows), first(k + 1, shards, rows)
                        - first(k, shards, rows));
            }
        }
        output = joinedOutput;
        double loss = 0;
        for (int k = 0; k < shards; k++) {
            loss += shardLosses[k] * shardOutputViews[k].rows() / rows;
            shardOutputViews[k].copyFrom(shardOutputs[k]);
        }
        return loss;
    }

    /** Member {@code k}'s shard of the batch: its forward and backward in its own workspace. */
    private void runShard(int k) {
        int shards = batchShards;
        if (k >= shards) {
            return;
        }
        Tensor inputs = batchInputs;
        IntVector labels = batchLabels;
        int rows = inputs.rows();
        int from = first(k, shards, rows);
        if (shardInputs[k] == null || slicedInputs[k] != inputs || slicedLabels[k] != labels) {
            // this shard's rows of the batch: new views only when the batch tensors change (the
            // same tensors have the same rows, so the same shards)
            int n = first(k + 1, shards, rows) - from;
            shardInputs[k] = inputs.rows(from, n);
            shardLabels[k] = labels.slice(from, n);
            slicedInputs[k] = inputs;
            slicedLabels[k] = labels;
        }
        Fill fill = batchFill;
        if (fill != null) {
            fill.fill(shardInputs[k], from, 0);
        }
        shardLosses[k] = shardGradients(k, k == 0 ? workspace : others[k - 1], shardSeed(seed, k), shardInputs[k],
                shardLabels[k], (float) shardInputs[k].rows() / inputs.rows());
    }

    /**
     * The sum of the shards' (weighted) gradients into the first workspace's and, when
     * {@code step > 0}, update number {@code step}: each member over its range of the parameters.
     * Follows {@link #forwardBackward}, whose shard count it sums over.
     */
    private void reduce(long step, float lr) {
        if (split != null) {
            split.reduce(step, lr);
            return;
        }
        updateStep = step;
        updateLr = lr;
        team.run(reduceTask);
    }

    private void reduceRange(int k) {
        if (k >= paramRanges.length) {
            return;
        }
        int shards = batchShards;
        Tensor[] g = gradientRanges[k];
        for (int j = 1; j < shards; j++) {
            net.backend().axpy(1f, g[j], g[0]); // each already weighted by its share of the rows
        }
        if (updateStep > 0) {
            paramRanges[k].update(optimizer, net.backend(), updateStep, updateLr);
        }
    }

    /** {@link Workspace.ProductUpdate}: parameter {@code i}'s update by the optimizer, where its gradient is computed. */
    private boolean updateInProduct(int i, boolean transA, Tensor a, Tensor b, Tensor param, Tensor gradient) {
        return optimizer.updateInProduct(net.backend(), transA, a, b, param, gradient, parameterBuffers[i],
                productStep, productLr);
    }

    /**
     * Update number {@code step} of the parameters the last backward pass did not update where
     * their gradients were computed, a run of consecutive ones at a time.
     */
    private void updateRest(long step, float lr) {
        int count = parameterOffsets.length - 1;
        boolean same = restPattern != null;
        for (int i = 0; same && i < count; i++) {
            same = restPattern[i] == workspace.updatedInProduct(i);
        }
        if (!same) {
            restPattern = new boolean[count];
            for (int i = 0; i < count; i++) {
                restPattern[i] = workspace.updatedInProduct(i);
            }
            List<ParameterRange> runs = new ArrayList<>();
            for (int i = 0; i < count; ) {
                int end = i;
                while (end < count && !restPattern[end]) {
                    end++;
                }
                if (end > i) {
                    runs.add(ParameterRange.of(net.parameters().flat(), workspace.gradients(), state,
                            parameterOffsets[i], Math.toIntExact(parameterOffsets[end] - parameterOffsets[i])));
                }
                i = end + 1;
            }
            rest = runs.toArray(ParameterRange[]::new);
        }
        for (ParameterRange r : rest) {
            r.update(optimizer, net.backend(), step, lr);
        }
    }

    /** The first row of shard {@code k} of {@code shards} over {@code rows} rows. */
    static int first(int k, int shards, int rows) {
        return (int) ((long) k * rows / shards);
    }

    /** The seed of shard {@code k}'s random draws (dropout masks) in a step seeded {@code seed}. */
    static long shardSeed(long seed, int k) {
        return k == 0 ? seed : seed ^ k * 0xD1B54A32D192ED03L;
    }

    /** Shard {@code k}'s forward and backward in {@code w}; leaves its output in {@code shardOutputs[k]}. */
    private double shardGradients(int k, Workspace w, long shardSeed, Tensor inputs, IntVector labels,
                                  float share) {
        w.randomStream(shardSeed, state.steps());
        Tensor y = w.forwardForBackward(inputs, objective.layers(), false, true);
        w.zeroGradients();
        Tensor dy = w.lossGradient(y);
        double loss = objective.loss().valueAndGradient(net.backend(), y, labels, dy);
        if (share != 1f) {
            // the gradient of the whole batch's mean is the sum of the shards' gradients, each
            // weighted by its share of the rows: weight the loss gradient here, a few values a row
            net.backend().scale(share, dy);
        }
        if (inProduct && Double.isFinite(loss)) {
            productStep = state.advance(); // the update this pass applies where it can
            w.backward(dy, productUpdate);
        } else {
            w.backward(dy);
        }
        shardOutputs[k] = y;
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
        if (team != null) {
            team.close();
        }
        if (split != null) {
            split.close();
        }
        try (state; workspace) {
            output = null;
            outputs = null;
            joinedOutput = null;
            Arrays.fill(shardOutputViews, null);
            Arrays.fill(shardInputs, null);
            Arrays.fill(slicedInputs, null);
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
