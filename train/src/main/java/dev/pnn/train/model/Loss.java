package dev.pnn.train.model;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Tensor;

/**
 * A classification loss against integer labels, averaged over the batch. Use the one that fits
 * the model's last layer: {@link #nll()} after {@link LogSoftMax}, {@link #crossEntropy()} on raw
 * logits, {@link #mse()} on probabilities such as a {@link Sigmoid} output.
 */
public sealed interface Loss {

    /** Negative log-likelihood of log-probabilities (a model ending in {@link LogSoftMax}). */
    static Loss nll() {
        return new Nll();
    }

    /** Cross-entropy on raw logits: LogSoftMax and NLL fused. */
    static Loss crossEntropy() {
        return new CrossEntropy();
    }

    /** Mean squared error against one-hot targets, over every output element (PyTorch's MSELoss). */
    static Loss mse() {
        return new Mse();
    }

    /**
     * The quadratic cost of Nielsen's {@code network.py}: {@code (1/2) sum_c (a_c - y_c)^2} per
     * example, averaged over the batch, against one-hot targets; its gradient is
     * {@code (a - y) / rows}. It is {@link #mse()} times half the number of classes.
     */
    static Loss quadratic() {
        return new Quadratic();
    }

    /**
     * The loss that fits {@code model}'s output: NLL after a LogSoftMax, quadratic after a Sigmoid,
     * cross-entropy on anything else (logits).
     */
    static Loss fitting(Model model) {
        Layer last = model.layers().getLast();
        return last instanceof LogSoftMax ? nll() : last instanceof Sigmoid ? quadratic() : crossEntropy();
    }

    /** The mean loss of {@code output} against {@code labels}. */
    double value(Backend backend, Tensor output, IntVector labels);

    /** The mean loss, writing its gradient with respect to {@code output} into {@code dOutput}. */
    double valueAndGradient(Backend backend, Tensor output, IntVector labels, Tensor dOutput);

    /** NLL of log-probabilities: {@code -mean(output[r][label_r])}; gradient {@code -onehot / rows}. */
    record Nll() implements Loss {
        @Override
        public double value(Backend backend, Tensor output, IntVector labels) {
            return backend.nll(output, labels);
        }

        @Override
        public double valueAndGradient(Backend backend, Tensor output, IntVector labels, Tensor dOutput) {
            return backend.nll(output, labels, dOutput);
        }

        @Override
        public String toString() {
            return "nll";
        }
    }

    /** Cross-entropy of logits, one fused kernel: gradient {@code (softmax - onehot) / rows}. */
    record CrossEntropy() implements Loss {
        @Override
        public double value(Backend backend, Tensor output, IntVector labels) {
            return backend.crossEntropy(output, labels);
        }

        @Override
        public double valueAndGradient(Backend backend, Tensor output, IntVector labels, Tensor dOutput) {
            return backend.crossEntropy(output, labels, dOutput);
        }

        @Override
        public String toString() {
            return "cross-entropy";
        }
    }

    /** Half the squared error summed over classes, averaged over examples. */
    record Quadratic() implements Loss {
        @Override
        public double value(Backend backend, Tensor output, IntVector labels) {
            return backend.mseOneHot(output, labels) * output.cols() / 2;
        }

        @Override
        public double valueAndGradient(Backend backend, Tensor output, IntVector labels, Tensor dOutput) {
            double mse = backend.mseOneHot(output, labels, dOutput);
            backend.scale(output.cols() / 2f, dOutput);
            return mse * output.cols() / 2;
        }

        @Override
        public String toString() {
            return "quadratic";
        }
    }

    /** Mean squared error against one-hot rows of the labels. */
    record Mse() implements Loss {
        @Override
        public double value(Backend backend, Tensor output, IntVector labels) {
            return backend.mseOneHot(output, labels);
        }

        @Override
        public double valueAndGradient(Backend backend, Tensor output, IntVector labels, Tensor dOutput) {
            return backend.mseOneHot(output, labels, dOutput);
        }

        @Override
        public String toString() {
            return "mse";
        }
    }
}
