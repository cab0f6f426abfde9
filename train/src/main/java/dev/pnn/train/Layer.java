package dev.pnn.train;

/**
 * A layer: an immutable description of a differentiable function from {@code rows x in} to
 * {@code rows x out}. Layers hold no buffers and no parameters; a {@link Network} allocates those
 * and runs the layers. Compose them with {@link Model#sequential}.
 */
public sealed interface Layer permits Linear, ReLU, Sigmoid, LogSoftMax {

    /**
     * The number of output features for {@code inputs} input features.
     *
     * @throws IllegalArgumentException when this layer cannot take {@code inputs} features
     */
    int outputFeatures(int inputs);

    /** Number of trainable parameters. */
    default long parameterCount() {
        return 0;
    }
}
