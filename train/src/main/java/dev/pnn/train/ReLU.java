package dev.pnn.train;

/**
 * {@code max(x, 0)} elementwise (NaN passes through); its gradient at exactly 0 is 0.
 */
public record ReLU() implements Layer {

    @Override
    public int outputFeatures(int inputs) {
        return inputs;
    }

    @Override
    public String toString() {
        return "ReLU";
    }
}
