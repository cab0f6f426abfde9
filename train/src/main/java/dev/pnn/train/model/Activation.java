package dev.pnn.train.model;

import java.util.Locale;

/** The hidden activation of a {@link Model#mlp multilayer perceptron}. */
public enum Activation {
    RELU,
    SIGMOID;

    /** The layer this activation adds after each hidden Linear. */
    public Layer layer() {
        return switch (this) {
            case RELU -> new ReLU();
            case SIGMOID -> new Sigmoid();
        };
    }

    /** {@code relu} or {@code sigmoid}, case-insensitive. */
    public static Activation parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown activation '" + name + "': expected relu or sigmoid", e);
        }
    }
}
