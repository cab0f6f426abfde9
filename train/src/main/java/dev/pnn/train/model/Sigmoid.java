package dev.pnn.train.model;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Tensor;

/**
 * {@code 1 / (1 + exp(-x))} elementwise, without overflow for any finite x.
 */
public record Sigmoid() implements Elementwise {

    @Override
    public Tensor apply(Backend backend, Tensor x, Tensor out) {
        return backend.sigmoid(x, out);
    }

    @Override
    public Tensor applyBackward(Backend backend, Tensor out, Tensor dout, Tensor dinp) {
        return backend.sigmoidBackward(out, dout, dinp);
    }

    @Override
    public String toString() {
        return "Sigmoid";
    }
}
