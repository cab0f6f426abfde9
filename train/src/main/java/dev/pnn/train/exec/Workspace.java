package dev.pnn.train.exec;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.BatchBuffers;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Shape;
import dev.pnn.tensor.ShapeMismatchException;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.model.Fusions;
import dev.pnn.train.model.LayerContext;
import dev.pnn.train.model.Model;
import dev.pnn.train.model.Pullback;
import dev.pnn.train.model.Vjp;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What one caller needs to run a {@link Network}: the activations and activation gradients of
 * each batch size, the loss-gradient buffer, and its own parameter gradients ({@link #gradients()},
 * in the layout of {@link Parameters#flat()}). The network's parameters are shared, read-only;
 * everything here belongs to this workspace alone, so several workspaces run one network from
 * several threads at once and each gets what it would get alone.
 *
 * <p><b>Buffers.</b> Activations are allocated per batch size at the first forward pass with that
 * many rows, and reused by every later one: a steady-state training step allocates nothing
 * off-heap. Activation gradients come at the first backward pass, and the parameter gradients at
 * the first pullback, so forward-only use (inference) allocates no gradient buffers. A workspace
 * keeps the buffers of at most {@code batchSizes} row counts ({@value #DEFAULT_BATCH_SIZES} by
 * default; a training run uses three: the batch, the last partial batch, the evaluation batch):
 * a forward pass with a new row count beyond that releases the buffers of the least recently
 * used one, so walking through many batch sizes holds only the last few.
 *
 * <p><b>Lifetimes.</b> The tensors a forward pass returns, and its pullback, are valid until the
 * next forward pass with the same number of rows on this workspace. A pullback applied after
 * that, or after its buffers were released, throws {@link IllegalStateException} (each batch
 * size's buffers carry a generation that every forward pass advances): it never computes a
 * gradient from overwritten activations.
 *
 * <p><b>Ownership.</b> The workspace owns its buffers, each batch size's in an arena of its own,
 * and frees them all on {@link #close()}. It is not thread-safe: one thread at a time uses it.
 */
public final class Workspace implements AutoCloseable {

    /** How many batch sizes a workspace keeps buffers for, unless told otherwise. */
    public static final int DEFAULT_BATCH_SIZES = 4;

    private final Network net;
    private final Model model;
    private final Backend backend;
    private final Arena arena = Arena.ofShared();
    private final BatchBuffers<Frame> frames;
    private Tensor gradients;
    private long randomSeed;
    private long randomStep;
    private Map<String, Tensor> gradientsByName;
    /** stepGradients[count - 1][step]: the gradients of that step's parameters. */
    private Tensor[][][] stepGradients;
    /** Every parameter's gradient, in layout order, and whether it is zero without being zeroed yet. */
    private Tensor[] allGradients;
    private boolean[] pendingZero;
    private boolean anyPendingZero;
    /** The update the running backward pass applies where gradients are computed, or null. */
    private ProductUpdate productUpdate;
    /** Per gradient: whether the last backward pass updated its parameter instead of writing it. */
    private boolean[] updatedInProduct;

    Workspace(Network net, int batchSizes) {
        this.net = net;
        this.model = net.model();
        this.backend = net.backend();
        this.frames = new BatchBuffers<>(batchSizes, Frame::new);
    }

    public Network network() {
        return net;
    }

    /** Forward through every layer; the pullback does not compute a gradient for {@code input}. */
    public Vjp forward(Tensor input) {
        return forward(input, model.layers().size(), false);
    }

    /**
     * Forward through the first {@code layers} layers.
     *
     * @param input         {@code rows x} the model's sample shape, or a {@code rows x} (values
     *                      in a sample) matrix, which is viewed as that shape without a copy
     * @param layers        how many layers to run, 1 to all
     * @param inputGradient whether the pullback should return the gradient with respect to
     *                      {@code input}; when false it returns null and skips that work
     * @return the output ({@code rows x model.shape(layers)}) and its pullback, which
     *         accumulates into {@link #gradients()} and returns the input gradient or null
     * @throws ShapeMismatchException when the input does not have the model's sample size
     */
    public Vjp forward(Tensor input, int layers, boolean inputGradient) {
        return forward(input, layers, inputGradient, false);
    }

    /**
     * Forward as {@link #forward(Tensor, int, boolean)}, in training mode when {@code training}
     * (dropout drops, with the masks fixed by {@link #randomStream}).
     */
    public Vjp forward(Tensor input, int layers, boolean inputGradient, boolean training) {
        Pass pass = run(input, layers, inputGradient, training);
        Frame frame = pass.frame;
        long generation = frame.generation;
        return new Vjp(pass.output, dOutput -> {
            frame.checkCurrent(generation);
            return backward(pass, dOutput);
        });
    }

    /**
     * Forward for a loop that applies the pullback right away, as a training step does: runs as
     * {@link #forward(Tensor, int, boolean, boolean)} but returns only the output, and keeps the
     * pullback in this workspace for {@link #backward}. Once warm, the pair allocates nothing on
     * the heap (the pullback objects are kept from pass to pass, as the buffers are).
     */
    public Tensor forwardForBackward(Tensor input, int layers, boolean inputGradient, boolean training) {
        Pass pass = run(input, layers, inputGradient, training);
        pass.frame.lastPass = pass;
        return pass.output;
    }

    /**
     * The pullback of the last {@link #forwardForBackward} pass with {@code dOutput}'s rows:
     * accumulates into {@link #gradients()} and returns the input gradient or null.
     *
     * @throws IllegalStateException when no such pass ran, or another forward pass with as many
     *                               rows ran since
     */
    public Tensor backward(Tensor dOutput) {
        Frame frame = frames.find(dOutput.rows());
        // every forward pass clears lastPass, so a pass kept there is the current one
        Pass pass = frame == null ? null : frame.lastPass;
        if (pass == null) {
            throw new IllegalStateException("backward: no forwardForBackward pass with " + dOutput.rows()
                    + " rows is current on this workspace (another forward pass with as many rows ran since, or "
                    + "none did)");
        }
        return backward(pass, dOutput);
    }

    /**
     * An optimizer's update of one parameter, applied where the pullback computes its gradient
     * as a product ({@link LayerContext#updateInProduct}).
     */
    @FunctionalInterface
    public interface ProductUpdate {
        /**
         * Updates {@code param}, parameter {@code i} in layout order (as {@code Parameters.names()}),
         * whose gradient is {@code op(a) b}, with {@code gradient} its gradient buffer to use as
         * scratch; false when it does not (the pullback then writes the gradient).
         */
        boolean apply(int i, boolean transA, Tensor a, Tensor b, Tensor param, Tensor gradient);
    }

    /**
     * As {@link #backward(Tensor)}, with {@code update} applied to every parameter whose
     * pullback computes its gradient as one product ({@link LayerContext#updateInProduct}; a
     * {@code Linear}'s weight) and whose gradient was zeroed: those parameters are updated during
     * the pass, each after its last use, and their gradients are left as they were
     * ({@link #updatedInProduct} tells which). The other gradients are accumulated as usual, for
     * the caller to update. {@code update == null}: exactly {@link #backward(Tensor)}.
     *
     * @throws IllegalStateException as {@link #backward(Tensor)}
     */
    public Tensor backward(Tensor dOutput, ProductUpdate update) {
        productUpdate = update;
        try {
            return backward(dOutput);
        } finally {
            productUpdate = null;
        }
    }

    /**
     * Whether the last backward pass updated parameter {@code i} (in layout order, as
     * {@code Parameters.names()}) where its gradient was computed, leaving its gradient as it
     * was; false before any.
     */
    public boolean updatedInProduct(int i) {
        return updatedInProduct != null && updatedInProduct[i];
    }

    /** Runs {@code pass}'s pullbacks; then every gradient holds its value, zeros included. */
    private Tensor backward(Pass pass, Tensor dOutput) {
        if (updatedInProduct != null) {
            Arrays.fill(updatedInProduct, false);
        }
        Tensor g = pass.backward(dOutput);
        writePendingZeros();
        return g;
    }

    /** Runs the first {@code layers} layers, leaving their pullbacks in the frame's pass for this shape of call. */
    private Pass run(Tensor input, int layers, boolean inputGradient, boolean training) {
        Tensor x = asBatch(input);
        if (layers < 1 || layers > model.layers().size()) {
            throw new IllegalArgumentException("forward: layers must be in [1, " + model.layers().size() + "], got "
                    + layers);
        }
        Frame frame = frames.get(x.rows());
        frame.generation++;
        frame.lastPass = null;
        frame.training = training;
        List<Fusions.Step> plan = net.plan(layers);
        Pass pass = frame.pass(layers, inputGradient, plan.size());
        Tensor h = x;
        for (int s = 0; s < pass.pullbacks.length; s++) {
            Vjp v = plan.get(s).layer().forward(frame.context(layers, s, s > 0 || inputGradient), h);
            pass.pullbacks[s] = v.pullback();
            h = v.output();
        }
        pass.output = h;
        return pass;
    }

    /** One forward pass's pullbacks, kept per batch size, layer count and input-gradient choice. */
    private static final class Pass {
        final Frame frame;
        final Pullback[] pullbacks;
        Tensor output;

        Pass(Frame frame, int steps) {
            this.frame = frame;
            this.pullbacks = new Pullback[steps];
        }

        Tensor backward(Tensor dOutput) {
            if (!dOutput.shape().equals(output.shape())) {
                throw new ShapeMismatchException("pullback: dOutput is " + dOutput.shape() + " but the output is "
                        + output.shape());
            }
            Tensor g = dOutput;
            for (int s = pullbacks.length - 1; s >= 0; s--) {
                g = pullbacks[s].apply(g);
            }
            return g;
        }
    }

    /** {@code input} as a batch of the model's samples: itself, or its rows viewed as samples (no copy). */
    private Tensor asBatch(Tensor input) {
        Shape sample = model.input();
        Shape in = input.shape();
        boolean batchOfSamples = in.rank() == sample.rank() + 1;
        for (int i = 0; batchOfSamples && i < sample.rank(); i++) {
            batchOfSamples = in.dim(i + 1) == sample.dim(i);
        }
        if (batchOfSamples) {
            return input;
        }
        if (in.rank() == 2 && in.cols() == model.inputs()) {
            return input.reshape(sample.batch(in.rows()));
        }
        throw new ShapeMismatchException("forward: input is " + in + " but model " + model.widths() + " takes "
                + (sample.rank() == 1 ? model.inputs() + " features a row"
                : "batches of " + sample + " samples (rows x " + sample + ", or rows x " + model.inputs() + ")"));
    }

    /**
     * The parameter gradients, in the layout of {@link Parameters#flat()}, allocated (zero) at
     * the first call or the first backward pass.
     */
    public Tensor gradients() {
        if (gradients == null) {
            Layout layout = net.parameters().layout();
            gradients = Tensor.allocate(arena, layout.flatShape());
            Tensor[][] byLayer = layout.carve(gradients, model.layers().size());
            gradientsByName = layout.byName(byLayer);
            int n = model.layers().size();
            stepGradients = new Tensor[n][][];
            for (int count = 1; count <= n; count++) {
                stepGradients[count - 1] = Network.collect(net.plan(count), l -> byLayer[l]);
            }
            allGradients = Arrays.stream(byLayer).flatMap(Arrays::stream).toArray(Tensor[]::new);
            pendingZero = new boolean[allGradients.length];
            updatedInProduct = new boolean[allGradients.length];
        }
        writePendingZeros();
        return gradients;
    }

    /** Writes the zeros of every gradient zeroed and not overwritten since. */
    private void writePendingZeros() {
        if (anyPendingZero) {
            for (int i = 0; i < allGradients.length; i++) {
                zeroIfPending(i);
            }
            anyPendingZero = false;
        }
    }

    private void zeroIfPending(int i) {
        if (pendingZero[i]) {
            allGradients[i].zero();
            pendingZero[i] = false;
        }
    }

    /** The index in {@link #allGradients} of gradient {@code t}. */
    private int gradientIndex(Tensor t) {
        for (int i = 0; i < allGradients.length; i++) {
            if (allGradients[i] == t) {
                return i;
            }
        }
        throw new IllegalStateException("not a gradient of this workspace: " + t);
    }

    /** The gradient of the parameter named {@code name} ({@link Parameters#get}), a view into {@link #gradients()}. */
    public Tensor gradient(String name) {
        gradients();
        Tensor t = gradientsByName.get(name);
        if (t == null) {
            throw new IllegalArgumentException("model " + model.widths() + " has no parameter '" + name + "'; it has "
                    + gradientsByName.keySet());
        }
        return t;
    }

    /**
     * Sets every gradient to zero (nothing when none is allocated yet). The zeros are written
     * lazily: a layer that overwrites a whole gradient in its pullback
     * ({@link LayerContext#gradientBeta}) skips them, and the rest are written by the next
     * backward pass or when a gradient is next read ({@link #gradients()},
     * {@link #gradient(String)}).
     */
    public void zeroGradients() {
        if (gradients != null) {
            Arrays.fill(pendingZero, true);
            anyPendingZero = true;
        }
    }

    /**
     * A buffer of {@code output}'s shape for a loss to write its gradient into, kept with the
     * buffers of {@code output.rows()} rows.
     */
    public Tensor lossGradient(Tensor output) {
        return frames.get(output.rows()).lossGradient(output.shape());
    }

    /**
     * Where the next training passes draw their random numbers (dropout masks): a seed and the
     * step they belong to. A training loop sets it before each step (its seed, its step count),
     * so that masks are the same from run to run and after a resume.
     */
    public void randomStream(long seed, long step) {
        this.randomSeed = seed;
        this.randomStep = step;
    }

    /** How many batch sizes this workspace holds buffers for now. */
    public int batchSizes() {
        return frames.size();
    }

    /** Bytes of off-heap memory this workspace holds now: every batch size's buffers and the gradients. */
    public long allocatedBytes() {
        long bytes = gradients == null ? 0 : gradients.size() * Float.BYTES;
        for (Frame f : frames.values()) {
            bytes += f.bytes;
        }
        return bytes;
    }

    /** Frees every buffer of this workspace (not the network's parameters). */
    @Override
    public void close() {
        frames.close();
        arena.close();
    }

    private Tensor[] stepGradients(int layers, int step) {
        gradients();
        return stepGradients[layers - 1][step];
    }

    /** The buffers of one batch size: each layer's output, input gradient, scratch and the loss gradients. */
    private final class Frame {
        final int rows;
        final Arena arena;
        final Tensor[] outputs;
        Tensor[] inputGradients;
        final Tensor[][] scratch;
        final IntVector[][] scratchInts;
        final List<Tensor> lossGradients = new ArrayList<>(2);
        final LayerContext[][] contexts;
        /** passes[layers - 1][inputGradient ? 1 : 0] */
        final Pass[][] passes;
        Pass lastPass;
        long generation;
        boolean training;
        long bytes;

        Frame(Arena arena, int rows) {
            this.rows = rows;
            this.arena = arena;
            int n = model.layers().size();
            Shape[] shapes = new Shape[n];
            for (int i = 0; i < n; i++) {
                shapes[i] = model.shape(i + 1).batch(rows);
            }
            this.outputs = carve(shapes);
            this.scratch = new Tensor[n][];
            this.scratchInts = new IntVector[n][];
            this.contexts = new LayerContext[n][];
            this.passes = new Pass[n][2];
        }

        Pass pass(int layers, boolean inputGradient, int steps) {
            Pass[] byLayers = passes[layers - 1];
            int i = inputGradient ? 1 : 0;
            if (byLayers[i] == null) {
                byLayers[i] = new Pass(this, steps);
            }
            return byLayers[i];
        }

        LayerContext context(int layers, int step, boolean needsInputGradient) {
            LayerContext[] byStep = contexts[layers - 1];
            if (byStep == null) {
                byStep = contexts[layers - 1] = new LayerContext[2 * net.plan(layers).size()];
            }
            int i = 2 * step + (needsInputGradient ? 1 : 0);
            if (byStep[i] == null) {
                byStep[i] = new Context(this, layers, step, needsInputGradient);
            }
            return byStep[i];
        }

        Tensor[] inputGradients() {
            if (inputGradients == null) {
                int n = model.layers().size();
                Shape[] shapes = new Shape[n];
                for (int i = 0; i < n; i++) {
                    shapes[i] = model.shape(i).batch(rows);
                }
                inputGradients = carve(shapes);
            }
            return inputGradients;
        }

        Tensor scratch(int layer, int k, Shape shape) {
            Tensor[] mine = scratch[layer];
            if (mine == null || mine.length <= k) {
                mine = scratch[layer] = Arrays.copyOf(mine == null ? new Tensor[0] : mine, k + 1);
            }
            if (mine[k] == null) {
                mine[k] = allocate(shape);
            } else if (!mine[k].shape().equals(shape)) {
                throw new IllegalArgumentException("scratch " + k + " of layer " + layer + " is " + mine[k].shape()
                        + ", asked for " + shape);
            }
            return mine[k];
        }

        IntVector scratchInts(int layer, int k, int size) {
            IntVector[] mine = scratchInts[layer];
            if (mine == null || mine.length <= k) {
                mine = scratchInts[layer] = Arrays.copyOf(mine == null ? new IntVector[0] : mine, k + 1);
            }
            if (mine[k] == null) {
                mine[k] = IntVector.allocate(arena, size);
                bytes += (long) size * Integer.BYTES;
            } else if (mine[k].size() != size) {
                throw new IllegalArgumentException("int scratch " + k + " of layer " + layer + " holds " + mine[k].size()
                        + ", asked for " + size);
            }
            return mine[k];
        }

        Tensor lossGradient(Shape shape) {
            for (int i = 0; i < lossGradients.size(); i++) { // indexed: no iterator per step
                Tensor t = lossGradients.get(i);
                if (t.shape().equals(shape)) {
                    return t;
                }
            }
            Tensor t = allocate(shape);
            lossGradients.add(t);
            return t;
        }

        void checkCurrent(long generation) {
            if (!arena.scope().isAlive()) {
                throw new IllegalStateException("pullback: the workspace has released the buffers of its forward pass "
                        + "with " + rows + " rows (closed, or it keeps " + frames.capacity()
                        + " batch sizes and others came after); run forward again");
            }
            if (generation != this.generation) {
                throw new IllegalStateException("pullback: a later forward pass with " + rows + " rows has reused the "
                        + "buffers of this one; run forward again before the pullback");
            }
        }

        private Tensor allocate(Shape shape) {
            Tensor t = Tensor.allocate(arena, shape);
            bytes += t.size() * Float.BYTES;
            return t;
        }

        /** One block, carved into a view per shape, each starting on a 64-byte line. */
        private Tensor[] carve(Shape[] shapes) {
            long perLine = Tensor.ALIGNMENT / Float.BYTES;
            long[] offsets = new long[shapes.length];
            long floats = 0;
            for (int i = 0; i < shapes.length; i++) {
                offsets[i] = floats;
                floats = Math.addExact(floats, (shapes[i].size() + perLine - 1) / perLine * perLine);
            }
            MemoryBudget.require("a batch of " + rows + " through model " + model.widths(), floats * Float.BYTES);
            if (floats > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("a batch of " + rows + " through model " + model.widths() + " needs "
                        + floats + " floats of activations; at most " + Integer.MAX_VALUE + " fit one buffer: use "
                        + "smaller batches");
            }
            Tensor block = allocate(new Shape((int) floats));
            Tensor[] views = new Tensor[shapes.length];
            for (int i = 0; i < shapes.length; i++) {
                views[i] = block.view(offsets[i], shapes[i]);
            }
            return views;
        }
    }

    /** A plan step's view of a frame: what {@link LayerContext} promises a layer. */
    private final class Context implements LayerContext {
        private final Frame frame;
        private final int layers;
        private final int step;
        private final Fusions.Step covers;
        private final Tensor[] parameters;
        private final boolean needsInputGradient;
        private Tensor[] gradients;
        private int[] gradientIds;
        private Object kept;

        Context(Frame frame, int layers, int step, boolean needsInputGradient) {
            this.frame = frame;
            this.layers = layers;
            this.step = step;
            this.covers = net.plan(layers).get(step);
            this.parameters = net.stepParameters(layers, step);
            this.needsInputGradient = needsInputGradient;
        }

        @Override
        public Backend backend() {
            return backend;
        }

        @Override
        public Tensor parameter(int k) {
            return parameters[k];
        }

        @Override
        public Tensor gradient(int k) {
            ensureGradients();
            zeroIfPending(gradientIds[k]);
            return gradients[k];
        }

        @Override
        public float gradientBeta(int k) {
            ensureGradients();
            int id = gradientIds[k];
            if (pendingZero[id]) {
                pendingZero[id] = false; // the caller overwrites it whole
                return 0f;
            }
            return 1f;
        }

        @Override
        public boolean updateInProduct(int k, boolean transA, Tensor a, Tensor b) {
            if (productUpdate == null) {
                return false;
            }
            ensureGradients();
            int id = gradientIds[k];
            // only a gradient that is this product alone: zeroed, nothing added since
            if (!pendingZero[id] || !productUpdate.apply(id, transA, a, b, parameters[k], gradients[k])) {
                return false;
            }
            pendingZero[id] = false; // left as it was: the pass does not write it
            updatedInProduct[id] = true;
            return true;
        }

        private void ensureGradients() {
            if (gradients == null) {
                gradients = stepGradients(layers, step);
                gradientIds = new int[gradients.length];
                for (int i = 0; i < gradients.length; i++) {
                    gradientIds[i] = gradientIndex(gradients[i]);
                }
            }
        }

        @Override
        public Tensor output() {
            return frame.outputs[covers.last()];
        }

        @Override
        public Tensor inputGradient() {
            return frame.inputGradients()[covers.first()];
        }

        @Override
        public boolean needsInputGradient() {
            return needsInputGradient;
        }

        @Override
        public Tensor scratch(int k, Shape shape) {
            return frame.scratch(covers.first(), k, shape);
        }

        @Override
        public IntVector scratchInts(int k, int size) {
            return frame.scratchInts(covers.first(), k, size);
        }

        @Override
        public boolean training() {
            return frame.training;
        }

        @Override
        public long randomSeed() {
            return randomSeed ^ (covers.first() + 1) * 0x9E3779B97F4A7C15L;
        }

        @Override
        public long randomCounter() {
            return randomStep;
        }

        @Override
        public Object kept() {
            return kept;
        }

        @Override
        public void keep(Object o) {
            kept = o;
        }
    }
}
