package dev.pnn.train;

/**
 * A fully connected layer, {@code y = x W^T + b}, with {@code W} stored as PyTorch stores it:
 * {@code out x in}, row-major; {@code b} is {@code 1 x out}.
 *
 * @param in  input features, {@code >= 1}
 * @param out output features, {@code >= 1}
 */
public record Linear(int in, int out) implements Layer {

    public Linear {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException("Linear(" + in + ", " + out + "): features must be >= 1");
        }
    }

    @Override
    public int outputFeatures(int inputs) {
        if (inputs != in) {
            throw new IllegalArgumentException(this + " cannot take " + inputs + " input features");
        }
        return out;
    }

    @Override
    public long parameterCount() {
        return (long) in * out + out;
    }

    @Override
    public String toString() {
        return "Linear(" + in + ", " + out + ")";
    }
}
