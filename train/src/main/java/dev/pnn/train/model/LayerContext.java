package dev.pnn.train.model;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;

/**
 * What the executor gives a {@link Layer} for one forward pass on one batch size: the backend,
 * the layer's parameters and their gradients, and the buffers it writes. Every tensor belongs to
 * the workspace running the pass and stays the same from call to call at the same batch size, so
 * a steady-state pass allocates nothing off-heap.
 */
public interface LayerContext {

    Backend backend();

    /**
     * Parameter {@code k}, in the order of {@link Layer#parameters()}; read it, do not write it
     * (but through {@link #updateInProduct}).
     */
    Tensor parameter(int k);

    /**
     * The gradient of parameter {@code k}, for the pullback to accumulate into (the workspace
     * zeroes gradients; a pullback adds). Allocated at the first call: call it from the pullback
     * only, so that forward-only use allocates no gradients.
     */
    Tensor gradient(int k);

    /** Where forward writes its result: {@code rows x} the output shape. */
    Tensor output();

    /** Where the pullback writes the gradient with respect to the input: {@code rows x} the input shape. */
    Tensor inputGradient();

    /** Whether the pullback must compute the input gradient; when false it returns null and skips that work. */
    boolean needsInputGradient();

    /**
     * A buffer of {@code shape} (its first dimension is normally the batch's rows) that belongs
     * to this layer at this batch size, allocated at the first call: the same {@code k} gives the
     * same tensor every time.
     *
     * @throws IllegalArgumentException when {@code k} was first asked for with another shape
     */
    Tensor scratch(int k, Shape shape);

    /** Like {@link #scratch}, for ints (a max pool's argmax): the same {@code k} gives the same vector. */
    IntVector scratchInts(int k, int size);

    /** Whether this pass trains (dropout drops) or evaluates (dropout passes everything). */
    boolean training();

    /**
     * A seed for this layer's random draws in this pass, and {@link #randomCounter()} the pass's
     * position in the run: together they fix a dropout mask, so that a run (and a resumed run)
     * draws the same masks every time.
     */
    long randomSeed();

    /** The training step this pass belongs to (the optimizer's step count before it). */
    long randomCounter();

    /**
     * For a pullback that writes parameter gradient {@code k} whole in one call that either adds
     * to it or overwrites it (a GEMM's {@code beta}): 0 when the gradient is zero (zeroed since
     * anything was added to it), so the call may overwrite it without the zeros being written
     * first, else 1. Counts the gradient as written: call it just before the call that writes
     * {@link #gradient(int)}, and write the whole of it.
     */
    default float gradientBeta(int k) {
        return 1f;
    }

    /**
     * For a pullback whose gradient of parameter {@code k} is one product, {@code op(a) b}
     * ({@code a} transposed when {@code transA}): when the pass updates parameters where their
     * gradients are computed ({@code Workspace.backward(Tensor, ProductUpdate)}), applies the
     * update to parameter {@code k} with that product as its gradient and returns true; the
     * pullback then leaves gradient {@code k} alone. Else returns false, and the pullback writes
     * the gradient as usual ({@link #gradientBeta}). Call it after every other use of the
     * parameter in the pullback.
     */
    default boolean updateInProduct(int k, boolean transA, Tensor a, Tensor b) {
        return false;
    }

    /** What the layer kept on this context at an earlier pass ({@link #keep}), or null. */
    default Object kept() {
        return null;
    }

    /**
     * Keeps {@code o} on this context for the layer's later passes: a layer keeps its pullback
     * object here and rebinds it each pass, so that a steady-state pass allocates nothing on the
     * heap either. Like the buffers, a context belongs to one batch size of one workspace, and a
     * pullback is valid only until the next pass with as many rows (the executor checks that).
     * A context that keeps nothing (this default) makes the layer build its pullback each pass.
     */
    default void keep(Object o) {}
}
