package dev.pnn.train.model;

import dev.pnn.tensor.Shape;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A sequence of layers and the shape of one input sample, checked once, when it is built, to fit
 * together: an immutable value, free of buffers. A {@code Network} gives it parameters and runs it.
 *
 * <pre>{@code
 * Model mnist = Model.mnist();                                   // 784-128-64-10, ReLU, LogSoftMax
 * Model wider = Model.mlp(784, List.of(256, 128), 10, Activation.RELU);
 * Model byHand = Model.sequential(new Linear(784, 32), new Sigmoid(), new Linear(32, 10), new LogSoftMax());
 * Model images = new Model(Shape.of(1, 28, 28), layers);          // per-sample shapes of any rank
 * }</pre>
 *
 * <p>Two models are equal when their input shapes and layers are.
 */
public final class Model {

    private final Shape input;
    private final List<Layer> layers;
    /** shapes.get(k): one sample's shape after the first k layers. */
    private final List<Shape> shapes;

    /**
     * @param input  the shape of one input sample
     * @param layers the layers in order, at least one
     * @throws IllegalArgumentException naming the first layer that cannot take what the layers
     *                                  before it give
     */
    public Model(Shape input, List<Layer> layers) {
        if (input == null) {
            throw new IllegalArgumentException("a model needs an input shape");
        }
        this.input = input;
        this.layers = List.copyOf(layers);
        if (this.layers.isEmpty()) {
            throw new IllegalArgumentException("a model needs at least one layer");
        }
        List<Shape> s = new ArrayList<>(this.layers.size() + 1);
        s.add(input);
        for (int i = 0; i < this.layers.size(); i++) {
            Shape in = s.get(i);
            try {
                s.add(this.layers.get(i).outputShape(in));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("layer " + i + ": " + e.getMessage() + " (the layers before it give "
                        + (in.rank() == 1 ? in.dim(0) : in) + "; model " + describe(this.layers) + ")", e);
            }
        }
        this.shapes = List.copyOf(s);
    }

    /** A model whose samples are {@code inputs} features. */
    public Model(int inputs, List<Layer> layers) {
        this(checkedFeatures(inputs), layers);
    }

    private static Shape checkedFeatures(int inputs) {
        if (inputs < 1) {
            throw new IllegalArgumentException("a model needs >= 1 input features, got " + inputs);
        }
        return new Shape(inputs);
    }

    /** The layers in order; the input width is taken from the first layer, which must be a {@link Linear}. */
    public static Model sequential(Layer... layers) {
        if (layers.length == 0 || !(layers[0] instanceof Linear first)) {
            throw new IllegalArgumentException("Model.sequential infers the input width from a first Linear layer; "
                    + "use new Model(inputShape, layers) when the first layer is not Linear");
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

    /** The hidden widths of {@link #mnist()}. */
    public static final List<Integer> MNIST_HIDDEN = List.of(128, 64);

    /** The flagship network: 784-128-64-10, Linear, ReLU, Linear, ReLU, Linear, LogSoftMax. */
    public static Model mnist() {
        return mlp(784, MNIST_HIDDEN, 10, Activation.RELU);
    }

    /** Softmax regression: one Linear layer 784-10 and LogSoftMax. */
    public static Model softmax() {
        return mlp(784, List.of(), 10, Activation.RELU);
    }

    /** Nielsen's network: 784-30-10, Sigmoid after both Linear layers (train it with {@link Loss#quadratic()}). */
    public static Model sigmoid30() {
        return new Model(784, List.of(new Linear(784, 30), new Sigmoid(), new Linear(30, 10), new Sigmoid()));
    }

    /**
     * A small convolutional network for 28x28 greyscale images (channels last): Conv2d 1-32 3x3,
     * ReLU, MaxPool2d 2, Conv2d 32-64 3x3, ReLU, MaxPool2d 2, Flatten, Linear 1600-128, ReLU,
     * Dropout 0.5, Linear 128-10, LogSoftMax.
     */
    public static Model cnn() {
        return new Model(Shape.of(28, 28, 1), List.of(new Conv2d(1, 32, 3), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, 3), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(1600, 128), new ReLU(),
                new Dropout(0.5), new Linear(128, 10), new LogSoftMax()));
    }

    /** The shape of one input sample. */
    public Shape input() {
        return input;
    }

    public List<Layer> layers() {
        return layers;
    }

    /** The shape of one sample after the first {@code count} layers ({@code count == 0}: the input). */
    public Shape shape(int count) {
        return shapes.get(count);
    }

    /** The shape of one output sample. */
    public Shape output() {
        return shapes.getLast();
    }

    /** Values in one input sample. */
    public int inputs() {
        return Math.toIntExact(input.size());
    }

    /** Values in one output sample. */
    public int outputs() {
        return features(layers.size());
    }

    /** Values in one sample after the first {@code count} layers ({@code count == 0}: the input). */
    public int features(int count) {
        return Math.toIntExact(shapes.get(count).size());
    }

    public long parameterCount() {
        return layers.stream().mapToLong(Layer::parameterCount).sum();
    }

    /** This model as data, to save or compare. */
    public ModelSpec spec() {
        return ModelSpec.of(this);
    }

    /** The widths at every Linear, e.g. {@code 784-128-64-10}. */
    public String widths() {
        StringBuilder s = new StringBuilder().append(input.rank() == 1 ? Integer.toString(input.dim(0)) : input);
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
    public boolean equals(Object o) {
        return o instanceof Model m && input.equals(m.input) && layers.equals(m.layers);
    }

    @Override
    public int hashCode() {
        return 31 * input.hashCode() + layers.hashCode();
    }

    /** {@code 784-128-64-10 (Linear(784, 128), ReLU, ...)}. */
    @Override
    public String toString() {
        return widths() + " (" + describe(layers) + ")";
    }
}
