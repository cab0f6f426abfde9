package dev.pnn.train.model;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Tensor;

/**
 * Numerically stable log-softmax over each sample's values: log-probabilities. Followed by
 * {@link Loss#nll()}, training computes the two as one fused cross-entropy
 * ({@link Fusions#objective}).
 */
public record LogSoftMax() implements Elementwise {

    @Override
    public Tensor apply(Backend backend, Tensor x, Tensor out) {
        return backend.logSoftmax(x, out);
    }

    @Override
    public Tensor applyBackward(Backend backend, Tensor out, Tensor dout, Tensor dinp) {
        return backend.logSoftmaxBackward(out, dout, dinp);
    }

    @Override
    public String toString() {
        return "LogSoftMax";
    }
}
