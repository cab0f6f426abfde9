package dev.pnn.train;

/**
 * Row-wise numerically stable log-softmax: log-probabilities over the columns.
 * Followed by {@link Loss#nll()}, training computes the two as one fused cross-entropy.
 */
public record LogSoftMax() implements Layer {

    @Override
    public int outputFeatures(int inputs) {
        return inputs;
    }

    @Override
    public String toString() {
        return "LogSoftMax";
    }
}
