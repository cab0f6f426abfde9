package dev.pnn.train;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A sequence of layers, checked to fit together: an immutable value, free of buffers. A
 * {@link Network} gives it parameters and runs it.
 *
 * <pre>{@code
 * Model mnist = Model.mnist();                                   // 784-128-64-10, ReLU, LogSoftMax
 * Model wider = Model.mlp(784, List.of(256, 128), 10, Activation.RELU);
 * Model byHand = Model.sequential(new Linear(784, 32), new Sigmoid(), new Linear(32, 10), new LogSoftMax());
 * }</pre>
 *
 * @param inputs number of input features, {@code >= 1}
 * @param layers the layers in order, at least one
 */
public record Model(int inputs, List<Layer> layers) {

    public Model {
        if (inputs < 1) {
            throw new IllegalArgumentException("a model needs >= 1 input features, got " + inputs);
        }
        layers = List.copyOf(layers);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a model needs at least one layer");
        }
        int features = inputs;
        for (int i = 0; i < layers.size(); i++) {
            try {
                features = layers.get(i).outputFeatures(features);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("layer " + i + ": " + e.getMessage() + " (the layers before it give "
                        + features + "; model " + describe(layers) + ")", e);
            }
        }
    }

    /** The layers in order; the input width is taken from the first layer, which must be a {@link Linear}. */
    public static Model sequential(Layer... layers) {
        if (layers.length == 0 || !(layers[0] instanceof Linear first)) {
            throw new IllegalArgumentException("Model.sequential infers the input width from a first Linear layer; "
                    + "use new Model(inputs, layers) when the first layer is not Linear");
        }
        return new Model(first.in(), List.of(layers));
    }

    /**
     * A multilayer perceptron for classification: Linear and {@code activation} for each hidden
     * width, a Linear to {@code classes}, then LogSoftMax (train it with {@link Loss#nll()}).
     */
    public static Model mlp(int inputs, List<Integer> hidden, int classes, Activation activation) {
        List<Layer> layers = new ArrayList<>();
        int width = inputs;
        for (int h : hidden) {
            layers.add(new Linear(width, h));
            layers.add(activation.layer());
            width = h;
        }
        layers.add(new Linear(width, classes));
        layers.add(new LogSoftMax());
        return new Model(inputs, layers);
    }

    /** The flagship network: 784-128-64-10, Linear, ReLU, Linear, ReLU, Linear, LogSoftMax. */
    public static Model mnist() {
        return mlp(784, List.of(128, 64), 10, Activation.RELU);
    }

    /** Output features of the last layer. */
    public int outputs() {
        return features(layers.size());
    }

    /** Features coming out of the first {@code count} layers ({@code count == 0}: the input width). */
    public int features(int count) {
        int f = inputs;
        for (int i = 0; i < count; i++) {
            f = layers.get(i).outputFeatures(f);
        }
        return f;
    }

    public long parameterCount() {
        return layers.stream().mapToLong(Layer::parameterCount).sum();
    }

    /** The widths at every Linear, e.g. {@code 784-128-64-10}. */
    public String widths() {
        StringBuilder s = new StringBuilder().append(inputs);
        for (Layer l : layers) {
            if (l instanceof Linear lin) {
                s.append('-').append(lin.out());
            }
        }
        return s.toString();
    }

    private static String describe(List<Layer> layers) {
        return layers.stream().map(Layer::toString).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return widths() + " (" + describe(layers) + ")";
    }
}
