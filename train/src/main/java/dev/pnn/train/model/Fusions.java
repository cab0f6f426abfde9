package dev.pnn.train.model;

import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The rewrites the executor applies to a model before running it, each stated once here:
 * <ul>
 *   <li>{@link Linear} (or {@link Conv2d}) then {@link ReLU} becomes one step: a GEMM and the
 *       fused bias-add-ReLU kernel ({@link #plan});</li>
 *   <li>{@link LogSoftMax} then {@link Loss#nll()} becomes the fused cross-entropy on the logits:
 *       the model runs without its last layer and the loss and its gradient
 *       {@code (softmax - onehot) / rows} come from one kernel ({@link #objective}).</li>
 * </ul>
 * Both give the same values as the unfused layers, to float32 rounding (bias-add-ReLU to the bit).
 */
public final class Fusions {

    private Fusions() {}

    /**
     * One step of a plan: {@code layer} covers the model's layers {@code first} to
     * {@code first + count - 1}; its parameters are theirs, in order.
     */
    public record Step(Layer layer, int first, int count) {
        /** The index of the last model layer this step covers; its output is the step's output. */
        public int last() {
            return first + count - 1;
        }
    }

    /**
     * How training computes the loss: through how many of the model's layers, with which loss.
     *
     * @param layers the prefix of the model that runs
     * @param loss   the loss applied to that prefix's output
     */
    public record Objective(int layers, Loss loss) {}

    /** The steps that run the first {@code count} layers of {@code layers}, with Linear + ReLU fused. */
    public static List<Step> plan(List<Layer> layers, int count) {
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            boolean reluNext = i + 1 < count && layers.get(i + 1) instanceof ReLU;
            if (layers.get(i) instanceof Linear linear && reluNext) {
                steps.add(new Step(new WithReLU(linear, (c, x) -> Linear.affine(c, x, true)), i, 2));
                i++;
            } else if (layers.get(i) instanceof Conv2d conv && reluNext) {
                steps.add(new Step(new WithReLU(conv, (c, x) -> conv.convolve(c, x, true)), i, 2));
                i++;
            } else {
                steps.add(new Step(layers.get(i), i, 1));
            }
        }
        return List.copyOf(steps);
    }

    /**
     * The objective that trains {@code model} with {@code loss}: NLL after a LogSoftMax becomes
     * the cross-entropy of the layers before it.
     *
     * @throws IllegalArgumentException when the loss does not fit the model's last layer
     */
    public static Objective objective(Model model, Loss loss) {
        int n = model.layers().size();
        boolean logSoftMaxLast = model.layers().get(n - 1) instanceof LogSoftMax;
        return switch (loss) {
            case Loss.Nll nll -> {
                if (!logSoftMaxLast) {
                    throw new IllegalArgumentException("the nll loss expects log-probabilities, but model " + model
                            + " does not end in LogSoftMax: add one, or use Loss.crossEntropy() on the logits");
                }
                yield n > 1 ? new Objective(n - 1, Loss.crossEntropy()) : new Objective(n, nll);
            }
            case Loss.CrossEntropy ce -> {
                if (logSoftMaxLast) {
                    throw new IllegalArgumentException("the cross-entropy loss applies its own log-softmax, but "
                            + "model " + model + " already ends in LogSoftMax: use Loss.nll()");
                }
                yield new Objective(n, ce);
            }
            case Loss.Mse mse -> new Objective(n, mse);
            case Loss.Quadratic q -> new Objective(n, q);
        };
    }

    /**
     * A layer and the ReLU after it as one step, which {@code fused} runs: the layer's product,
     * then the bias and the ReLU in one kernel. Only plans hold it.
     */
    private record WithReLU(Layer layer, BiFunction<LayerContext, Tensor, Vjp> fused) implements Layer {

        @Override
        public Shape outputShape(Shape input) {
            return layer.outputShape(input);
        }

        @Override
        public List<ParameterSpec> parameters() {
            return layer.parameters();
        }

        @Override
        public Vjp forward(LayerContext context, Tensor input) {
            return fused.apply(context, input);
        }

        @Override
        public LayerSpec spec() {
            throw new UnsupportedOperationException("a fused step is not part of any model");
        }

        @Override
        public String toString() {
            return layer + "+ReLU";
        }
    }
}
