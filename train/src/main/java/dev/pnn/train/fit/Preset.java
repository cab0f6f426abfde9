package dev.pnn.train.fit;

import dev.pnn.train.data.Normalization;
import dev.pnn.train.model.Activation;
import dev.pnn.train.model.Init;

import java.util.List;
import java.util.Locale;

/**
 * The classic MNIST models by name, each with the settings it is known for and the accuracy it
 * reaches (measured over three seeds; README). The perceptron is not a network: see
 * {@code dev.pnn.train.classic.Perceptron}.
 */
public enum Preset {

    /**
     * The flagship: 784-128-64-10 ReLU, LogSoftMax and NLL, momentum with a cosine schedule, each
     * batch split over {@link TrainingConfig#DEFAULT_SHARDS} threads (2 where there are two cores).
     */
    MLP("mlp", ">= 98.2% in 10 epochs", new Recipe("mlp", List.of(128, 64), Activation.RELU, "nll",
            TrainingConfig.DEFAULT_EPOCHS, TrainingConfig.DEFAULT_BATCH_SIZE, "momentum", TrainingConfig.DEFAULT_LR,
            TrainingConfig.DEFAULT_MOMENTUM, TrainingConfig.DEFAULT_WEIGHT_DECAY, "cosine", Normalization.MNIST,
            Init.PYTORCH_DEFAULT, TrainingConfig.DEFAULT_SEED, TrainingConfig.DEFAULT_EVAL_BATCH_SIZE,
            TrainingConfig.DEFAULT_SHARDS)),

    /** Softmax regression: one Linear layer 784-10 and LogSoftMax. */
    SOFTMAX("softmax", ">= 92%", new Recipe("mlp", List.of(), Activation.RELU, "nll", TrainingConfig.DEFAULT_EPOCHS,
            TrainingConfig.DEFAULT_BATCH_SIZE, "momentum", TrainingConfig.DEFAULT_LR, TrainingConfig.DEFAULT_MOMENTUM,
            TrainingConfig.DEFAULT_WEIGHT_DECAY, "cosine", Normalization.MNIST, Init.PYTORCH_DEFAULT,
            TrainingConfig.DEFAULT_SEED, TrainingConfig.DEFAULT_EVAL_BATCH_SIZE, 1)),

    /**
     * Nielsen's {@code network.py} setting: 784-30-10 with sigmoids, the quadratic cost, plain
     * SGD at a learning rate of 3.0, mini-batches of 10, 30 epochs, pixels in [0, 1].
     */
    SIGMOID_30("sigmoid-30", ">= 95% in 30 epochs", new Recipe("mlp", List.of(30), Activation.SIGMOID, "quadratic", 30, 10,
            "sgd", 3.0, 0, 0, "constant", Normalization.NONE, Init.PYTORCH_DEFAULT, TrainingConfig.DEFAULT_SEED,
            TrainingConfig.DEFAULT_EVAL_BATCH_SIZE, 1)),

    /**
     * A convolutional network ({@link dev.pnn.train.model.Model#cnn()}): two 3x3 convolutions with max
     * pooling, a Linear layer of 128 with dropout, Adam at 2e-3 annealed by cosine, batch 64, 5 epochs,
     * each batch split over 2 threads (its fastest setting on two cores; the same bits on one).
     */
    CNN("cnn", ">= 99.3% in 5 epochs", new Recipe("cnn", List.of(), Activation.RELU, "nll", 5, 64, "adam", 2e-3, 0, 0,
            "cosine", Normalization.MNIST, Init.PYTORCH_DEFAULT, TrainingConfig.DEFAULT_SEED,
            TrainingConfig.DEFAULT_EVAL_BATCH_SIZE, 2)),

    /** A perceptron telling 3s from 7s: 784 weights and a bias, the classic mistake-driven update. */
    PERCEPTRON_3V7("perceptron-3v7", ">= 98% on the test set's 3s and 7s", null);

    private final String id;
    private final String expected;
    private final Recipe recipe;

    Preset(String id, String expected, Recipe recipe) {
        this.id = id;
        this.expected = expected;
        this.recipe = recipe;
    }

    /** The name the command line takes, e.g. {@code sigmoid-30}. */
    public String id() {
        return id;
    }

    /** What it reaches on MNIST's test set. */
    public String expected() {
        return expected;
    }

    /** Its settings; null for the perceptron, which is not a network. */
    public Recipe recipe() {
        return recipe;
    }

    /** The preset named {@code id}, case-insensitive. */
    public static Preset named(String id) {
        for (Preset p : values()) {
            if (p.id.equals(id.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown model '" + id + "': expected one of "
                + String.join(", ", java.util.Arrays.stream(values()).map(Preset::id).toList()));
    }
}
