package dev.pnn.train;

/**
 * {@code 1 / (1 + exp(-x))} elementwise, without overflow for any finite x.
 */
public record Sigmoid() implements Layer {

    @Override
    public int outputFeatures(int inputs) {
        return inputs;
    }

    @Override
    public String toString() {
        return "Sigmoid";
    }
}
