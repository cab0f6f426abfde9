package dev.pnn.train.optim;

import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;

import java.lang.foreign.Arena;

/**
 * An optimizer's state: its buffers (zeroed at the start, each of the parameters' shape) and the
 * number of steps taken. Owns its memory; close it when training ends.
 */
public final class OptimizerState implements AutoCloseable {

    private final Arena arena = Arena.ofShared();
    private final Tensor[] buffers;
    private long steps;

    /** State for {@code optimizer} over parameters shaped like {@code params}. */
    public OptimizerState(Optimizer optimizer, Tensor params) {
        this.buffers = new Tensor[optimizer.stateBuffers()];
        for (int i = 0; i < buffers.length; i++) {
            buffers[i] = Tensor.allocate(arena, params.shape());
        }
    }

    public Tensor buffer(int i) {
        return buffers[i];
    }

    /** Steps taken so far. */
    public long steps() {
        return steps;
    }

    /** The number of buffers. */
    public int bufferCount() {
        return buffers.length;
    }

    /**
     * Sets the number of steps taken, when resuming from a checkpoint (whose buffers are copied
     * into {@link #buffer(int)}); Adam's bias corrections depend on it.
     */
    public void restoreSteps(long steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0, got " + steps);
        }
        this.steps = steps;
    }

    /**
     * Each buffer's view of the elements from {@code offset} on, shaped {@code shape}: the state of
     * the parameters at those places of the flat buffer.
     */
    public Tensor[] views(long offset, Shape shape) {
        Tensor[] views = new Tensor[buffers.length];
        for (int i = 0; i < views.length; i++) {
            views[i] = buffers[i].view(offset, shape);
        }
        return views;
    }

    /** The buffers, in order (the array is this state's own: do not change it). */
    Tensor[] buffers() {
        return buffers;
    }

    /**
     * Counts one more step and returns its number, starting at 1. {@link Optimizer#step} calls
     * it; a caller that splits a step into ranges ({@link Optimizer#update}) calls it once.
     */
    public long advance() {
        return ++steps;
    }

    @Override
    public void close() {
        arena.close();
    }
}
