package dev.pnn.train;

/**
 * A fully connected layer, {@code y = x W + b}, with {@code W} stored {@code in x out}, row-major
 * (as JAX/Flax's Dense stores its kernel; PyTorch's {@code nn.Linear.weight} is its transpose), and
 * {@code b} {@code 1 x out}. The layout is chosen for speed: OpenBLAS multiplies the batch by an
 * untransposed {@code W} markedly faster than by a transposed one at these shapes (BENCHMARKS.md).
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
