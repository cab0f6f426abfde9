package dev.pnn.train.fit;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;
import dev.pnn.tensor.WorkerTeam;
import dev.pnn.train.exec.Network;
import dev.pnn.train.exec.Parameters;
import dev.pnn.train.exec.Workspace;
import dev.pnn.train.model.Fusions;
import dev.pnn.train.model.Layer;
import dev.pnn.train.model.Linear;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.optim.Optimizer;
import dev.pnn.train.optim.OptimizerState;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * How {@link TrainingStep} runs a model whose first layer is a wide {@link Linear} on several
 * threads: that layer split by its inputs, the rest of the network by the batch's rows.
 *
 * <p>Splitting the whole batch makes every thread read all of the first layer's weights, and
 * each update of a part of them then travels to the other cores, with its gradients: for the MNIST
 * MLP that is most of a step's traffic between cores. Here member {@code k} of the team owns the
 * input features {@code F_k} (an equal share of them, in order) and the same rows of the first
 * layer's weight: it gathers (or copies) those columns of the batch, multiplies them by its rows
 * of the weight for all the batch's rows (a partial sum of the layer's output), computes its rows
 * of the weight's gradient from the whole batch's output gradient, and updates them. Each shard's
 * rows of the layer's output are member 0's partial sums plus the bias, then the others' partial
 * sums in member order; the rest of the network (a model of the remaining layers over the end of
 * the same parameter buffer) runs per shard in a workspace of its own, as shards do. Its
 * gradients are summed by ranges into the step's workspace, in shard order. A given number of
 * threads gives the same bits on every run.
 */
final class FirstLayerSplit implements AutoCloseable {

    /** The fewest input features a member owns: fewer make products too thin to pay for the split. */
    static final int MIN_FEATURES = 32;

    private final Backend backend;
    private final WorkerTeam team;
    private final int members;
    private final int in;
    private final int out;
    private final Optimizer optimizer;
    private final OptimizerState state;
    private final Fusions.Objective tailObjective;
    private final Parameters tailParameters;
    private final Network tailNet;
    private final Workspace[] tailWorkspaces;
    private final Arena arena = Arena.ofShared();
    /** Feature k's first column is {@code columns[k]}; {@code columns[members] == in}. */
    private final int[] columns;
    private final Tensor bias;
    private final Tensor biasGradient;
    /** Per member: its rows of the weight and of the weight's gradient; its ranges for the update. */
    private final Tensor[] weightRows;
    private final Tensor[] weightGradientRows;
    private final ParameterRange[] headRanges;
    /** Member k's rows of each optimizer buffer, of its weight rows' shape. */
    private final Tensor[][] headBuffers;
    private final ParameterRange[] tailRanges;
    private final ParameterRange biasRange; // member 0's
    /** Per member and shard: its range of that shard's tail gradient. */
    private final Tensor[][] tailGradientRanges;
    private final IntConsumer partialTask = this::partial;
    private final IntConsumer shardTask = this::shard;
    private final IntConsumer reduceTask = this::reduceMember;

    // buffers for the largest batch so far, and their views for the current number of rows
    private int capacity;
    private Tensor[] columnBlocks;  // per member: capacity x |F_k|
    private Tensor[] partials;      // per member: capacity x out
    private Tensor[] tailInputs;    // per shard: capacity x out (its rows only are used)
    private Tensor outputGradients; // capacity x out: the layer's output gradient, each shard's in its rows
    private int viewRows = -1;
    private int viewShards;
    private Tensor viewInputs;
    private Tensor[] memberColumns;    // columnBlocks[k] as rows x |F_k|
    private Tensor[] memberPartials;   // partials[k] as rows x out
    private Tensor[][] partialRows;    // [member][shard]: that member's partial, that shard's rows
    private Tensor batchOutputGradients;  // outputGradients as rows x out
    private Tensor[] shardOutputGradients; // [shard]: its rows of batchOutputGradients
    private Tensor[] shardTailInputs;  // [shard]: rows_k x out
    private IntVector[] shardLabelRows;
    private IntVector viewLabels;

    // the step being run, for the members
    private Tensor inputs;
    private TrainingStep.Fill fill;
    private int shards;
    private long seed;
    private Tensor[] outputs;
    private double[] losses;
    private long updateStep;
    private float updateLr;

    /**
     * Whether this split is for {@code model}: a first Linear with at least {@link #MIN_FEATURES}
     * inputs a member, and after it layers with parameters that the loss leaves to run.
     */
    static boolean appliesTo(Model model, Loss loss, int members) {
        List<Layer> layers = model.layers();
        if (members < 2 || layers.size() < 2 || !(layers.get(0) instanceof Linear first)
                || first.in() < MIN_FEATURES * members) {
            return false;
        }
        Model tail = tail(model);
        return tail.parameterCount() > 0 && Fusions.objective(tail, loss).layers() >= 1;
    }

    private static Model tail(Model model) {
        Linear first = (Linear) model.layers().getFirst();
        return new Model(first.out(), model.layers().subList(1, model.layers().size()));
    }

    FirstLayerSplit(Network net, Loss loss, Optimizer optimizer, OptimizerState state, Workspace workspace,
                    WorkerTeam team) {
        this.backend = net.backend();
        this.team = team;
        this.members = team.size();
        this.optimizer = optimizer;
        this.state = state;
        Model model = net.model();
        Linear first = (Linear) model.layers().getFirst();
        this.in = first.in();
        this.out = first.out();
        Model tail = tail(model);
        this.tailObjective = Fusions.objective(tail, loss);
        Tensor params = net.parameters().flat();
        Tensor gradients = workspace.gradients();
        int head = Math.multiplyExact(in, out) + out;
        int total = Math.toIntExact(params.size());
        int tailCount = total - head;
        this.tailParameters = Parameters.over(tail, params.view(head, new Shape(tailCount)));
        this.tailNet = Network.over(tailParameters, backend);
        this.tailWorkspaces = new Workspace[members];
        for (int k = 0; k < members; k++) {
            tailWorkspaces[k] = tailNet.newWorkspace();
        }
        this.columns = new int[members + 1];
        for (int k = 0; k <= members; k++) {
            // each member gathers its features into a block of its own, so a range need not start on
            // a cache line of the rows: equal shares keep the members' products equally long
            columns[k] = TrainingStep.first(k, members, in);
        }
        this.bias = params.view((long) in * out, new Shape(out));
        this.biasGradient = gradients.view((long) in * out, new Shape(out));
        this.weightRows = new Tensor[members];
        this.weightGradientRows = new Tensor[members];
        this.headRanges = new ParameterRange[members];
        this.headBuffers = new Tensor[members][];
        this.tailRanges = new ParameterRange[members];
        this.tailGradientRanges = new Tensor[members][members];
        for (int k = 0; k < members; k++) {
            int rows = columns[k + 1] - columns[k];
            long from = (long) columns[k] * out;
            weightRows[k] = params.view(from, rows, out);
            weightGradientRows[k] = gradients.view(from, rows, out);
            headRanges[k] = ParameterRange.of(params, gradients, state, from, rows * out);
            headBuffers[k] = state.views(from, Shape.of(rows, out));
            int t0 = (int) ((long) k * tailCount / members);
            int t1 = (int) ((long) (k + 1) * tailCount / members);
            tailRanges[k] = ParameterRange.of(params, gradients, state, head + t0, t1 - t0);
            for (int j = 0; j < members; j++) {
                tailGradientRanges[k][j] = tailWorkspaces[j].gradients().view(t0, 1, t1 - t0);
            }
        }
        this.biasRange = ParameterRange.of(params, gradients, state, (long) in * out, out);
    }

    /**
     * Forward and backward of every shard of {@code inputs} ({@code shards} of them, at most one
     * a member); leaves each shard's output and mean loss in {@code outputs[k]} and
     * {@code losses[k]}, and the output gradients for {@link #reduce}.
     */
    void forwardBackward(Tensor inputs, IntVector labels, int shards, TrainingStep.Fill fill, long seed,
                         Tensor[] outputs, double[] losses) {
        views(inputs, labels, shards);
        this.inputs = inputs;
        this.fill = fill;
        this.shards = shards;
        this.seed = seed;
        this.outputs = outputs;
        this.losses = losses;
        try {
            team.run(partialTask);
            team.run(shardTask);
        } finally {
            this.inputs = null;
            this.fill = null;
        }
    }

    /**
     * The weight's and bias's gradients from every shard's output gradient, the rest summed over
     * the shards into the step's workspace; with {@code step > 0}, update number {@code step}.
     */
    void reduce(long step, float lr) {
        updateStep = step;
        updateLr = lr;
        team.run(reduceTask);
    }

    /**
     * Member k's columns of the batch (gathered on its own thread with a fill, else copied from
     * the inputs), times its rows of the weight: its partial sum of the layer's output.
     */
    private void partial(int k) {
        if (fill != null) {
            fill.fill(memberColumns[k], 0, columns[k]);
        } else {
            memberColumns[k].copyFrom(inputs, 0, columns[k]);
        }
        backend.gemm(false, false, 1f, memberColumns[k], weightRows[k], 0f, memberPartials[k]);
    }

    /**
     * Shard k: its rows of the layer's output (member 0's partial sum plus the bias, then the others'
     * partial sums in member order), then the rest of the network.
     */
    private void shard(int k) {
        if (k >= shards) {
            return;
        }
        Tensor z = backend.biasAdd(partialRows[0][k], bias, shardTailInputs[k]);
        for (int m = 1; m < members; m++) {
            backend.axpy(1f, partialRows[m][k], z);
        }
        Workspace w = tailWorkspaces[k];
        w.randomStream(TrainingStep.shardSeed(seed, k), state.steps());
        Tensor y = w.forwardForBackward(z, tailObjective.layers(), true, true);
        w.zeroGradients();
        Tensor dy = w.lossGradient(y);
        double loss = tailObjective.loss().valueAndGradient(backend, y, shardLabelRows[k], dy);
        float share = (float) z.rows() / inputs.rows();
        if (share != 1f) {
            backend.scale(share, dy);
        }
        // into the batch's rows, so that the weight's gradient is one product over the whole batch
        shardOutputGradients[k].copyFrom(w.backward(dy));
        outputs[k] = y;
        losses[k] = loss;
    }

    /** Member k: its rows of the weight's gradient (and the bias's, member 0), its range of the rest; its update. */
    private void reduceMember(int k) {
        // the member's rows of the weight updated where their gradient is computed, when the optimizer
        // can and keeps no state: measured on two shards, plain SGD's epochs were faster in the
        // product (7 of 7 alternating pairs), momentum's as often slower as faster (BENCHMARKS.md)
        boolean updated = updateStep > 0 && optimizer.stateBuffers() == 0 && optimizer.updateInProduct(backend, true,
                memberColumns[k], batchOutputGradients, weightRows[k], weightGradientRows[k], headBuffers[k],
                updateStep, updateLr);
        if (!updated) {
            backend.gemm(true, false, 1f, memberColumns[k], batchOutputGradients, 0f, weightGradientRows[k]);
        }
        if (k == 0) {
            biasGradient.zero();
            backend.biasBackward(batchOutputGradients, biasGradient);
        }
        ParameterRange tail = tailRanges[k];
        tail.gradient().copyFrom(tailGradientRanges[k][0]);
        for (int j = 1; j < shards; j++) {
            backend.axpy(1f, tailGradientRanges[k][j], tail.gradient());
        }
        if (updateStep > 0) {
            if (!updated) {
                headRanges[k].update(optimizer, backend, updateStep, updateLr);
            }
            if (k == 0) {
                biasRange.update(optimizer, backend, updateStep, updateLr);
            }
            tail.update(optimizer, backend, updateStep, updateLr);
        }
    }

    /** The buffers and views for a batch of {@code inputs}' rows over {@code shards} shards. */
    private void views(Tensor inputs, IntVector labels, int shards) {
        int rows = inputs.rows();
        if (rows == viewRows && shards == viewShards && inputs == viewInputs && labels == viewLabels) {
            return;
        }
        if (rows > capacity) {
            capacity = rows;
            columnBlocks = new Tensor[members];
            partials = new Tensor[members];
            tailInputs = new Tensor[members];
            for (int k = 0; k < members; k++) {
                columnBlocks[k] = Tensor.allocate(arena, rows, columns[k + 1] - columns[k]);
                partials[k] = Tensor.allocate(arena, rows, out);
                tailInputs[k] = Tensor.allocate(arena, rows, out);
            }
            outputGradients = Tensor.allocate(arena, rows, out);
        }
        memberColumns = new Tensor[members];
        memberPartials = new Tensor[members];
        partialRows = new Tensor[members][shards];
        shardOutputGradients = new Tensor[shards];
        batchOutputGradients = outputGradients.view(0, rows, out);
        shardTailInputs = new Tensor[shards];
        shardLabelRows = new IntVector[shards];
        for (int k = 0; k < members; k++) {
            int width = columns[k + 1] - columns[k];
            memberColumns[k] = columnBlocks[k].view(0, rows, width);
            memberPartials[k] = partials[k].view(0, rows, out);
        }
        for (int j = 0; j < shards; j++) {
            int from = TrainingStep.first(j, shards, rows);
            int n = TrainingStep.first(j + 1, shards, rows) - from;
            for (int k = 0; k < members; k++) {
                partialRows[k][j] = memberPartials[k].rows(from, n);
            }
            shardOutputGradients[j] = batchOutputGradients.rows(from, n);
            shardTailInputs[j] = tailInputs[j].view(0, n, out);
            shardLabelRows[j] = labels.slice(from, n);
        }
        viewRows = rows;
        viewShards = shards;
        viewInputs = inputs;
        viewLabels = labels;
    }

    @Override
    public void close() {
        try {
            for (Workspace w : tailWorkspaces) {
                w.close();
            }
            tailNet.close();
            tailParameters.close();
        } finally {
            arena.close();
        }
    }
}
