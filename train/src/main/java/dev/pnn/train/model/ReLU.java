package dev.pnn.train.model;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Tensor;

/**
 * {@code max(x, 0)} elementwise (NaN passes through); its gradient at exactly 0 is 0. After a
 * {@link Linear}, the executor runs the two as one fused kernel ({@link Fusions}).
 */
public record ReLU() implements Elementwise {

    @Override
    public Tensor apply(Backend backend, Tensor x, Tensor out) {
        return backend.relu(x, out);
    }

    @Override
    public Tensor applyBackward(Backend backend, Tensor out, Tensor dout, Tensor dinp) {
        return backend.reluBackward(out, dout, dinp);
    }

    @Override
    public String toString() {
        return "ReLU";
    }
}
