package dev.pnn.train.fit;

import dev.pnn.train.data.Normalization;
import dev.pnn.train.model.Activation;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Layer;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.model.Sigmoid;
import dev.pnn.train.optim.Adam;
import dev.pnn.train.optim.LrSchedule;
import dev.pnn.train.optim.Optimizer;
import dev.pnn.train.optim.Sgd;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Every setting of a training run of a multilayer perceptron, as plain values: what a
 * {@link Preset} holds and what the command line's options override one by one. It builds the
 * {@link Model} and the {@link TrainingConfig}.
 *
 * @param architecture  {@code mlp} (built from the widths and activation below) or {@code cnn}
 *                      ({@link Model#cnn()}, for 28x28 images)
 * @param hidden        hidden layer widths (none: a linear model)
 * @param activation    the hidden activation
 * @param loss          {@code nll} (LogSoftMax output), {@code mse} or {@code quadratic} (Sigmoid output)
 * @param epochs        passes over the training set
 * @param batchSize     examples per step
 * @param optimizer     {@code sgd}, {@code momentum}, {@code nesterov}, {@code adam} or {@code adamw}
 * @param lr            the initial learning rate
 * @param momentum      momentum of {@code momentum} and {@code nesterov}
 * @param weightDecay   L2 weight decay (decoupled for {@code adamw})
 * @param schedule      {@code constant}, {@code step} (x0.5 every 3 epochs) or {@code cosine} (to 0)
 * @param normalization how pixels become inputs
 * @param init          how initial weights are drawn
 * @param seed          seeds the initial weights and the shuffles
 * @param evalBatchSize examples per evaluation batch
 * @param shards        threads each training batch is split over ({@link TrainingConfig#shards()})
 */
public record Recipe(String architecture, List<Integer> hidden, Activation activation, String loss, int epochs,
                     int batchSize,
                     String optimizer, double lr, double momentum, double weightDecay, String schedule,
                     Normalization normalization, Init init, long seed, int evalBatchSize, int shards) {

    public Recipe {
        hidden = List.copyOf(hidden);
        optimizer = optimizer.toLowerCase(Locale.ROOT);
        schedule = schedule.toLowerCase(Locale.ROOT);
        loss = loss.toLowerCase(Locale.ROOT);
    }

    /** The model for samples of {@code inputs} values and {@code classes} classes. */
    public Model model(int inputs, int classes) {
        if (architecture.equals("cnn")) {
            if (inputs != 784 || classes != 10) {
                throw new IllegalArgumentException("the cnn takes 28x28 images of 10 classes, not " + inputs
                        + " values and " + classes + " classes");
            }
            return Model.cnn();
        }
        Model mlp = Model.mlp(inputs, hidden, classes, activation);
        if (loss.equals("nll")) {
            return mlp;
        }
        List<Layer> layers = new ArrayList<>(mlp.layers());
        layers.set(layers.size() - 1, new Sigmoid());
        return new Model(inputs, layers);
    }

    /**
     * The training configuration.
     *
     * @throws IllegalArgumentException naming the setting when one is unknown or out of range
     */
    public TrainingConfig config() {
        Optimizer o = switch (optimizer) {
            case "sgd" -> Sgd.plain().withWeightDecay(weightDecay);
            case "momentum" -> Sgd.momentum(momentum).withWeightDecay(weightDecay);
            case "nesterov" -> Sgd.nesterov(momentum).withWeightDecay(weightDecay);
            case "adam" -> Adam.defaults().withWeightDecay(weightDecay);
            case "adamw" -> Adam.adamW(weightDecay);
            default -> throw new IllegalArgumentException("optimizer '" + optimizer
                    + "': expected sgd, momentum, nesterov, adam or adamw");
        };
        LrSchedule s = switch (schedule) {
            case "constant" -> LrSchedule.constant(lr);
            case "step" -> LrSchedule.stepDecay(lr, 3, 0.5);
            case "cosine" -> LrSchedule.cosine(lr, 0);
            default -> throw new IllegalArgumentException("schedule '" + schedule + "': expected constant, step or cosine");
        };
        Loss l = switch (loss) {
            case "nll" -> Loss.nll();
            case "mse" -> Loss.mse();
            case "quadratic" -> Loss.quadratic();
            default -> throw new IllegalArgumentException("loss '" + loss + "': expected nll, mse or quadratic");
        };
        return new TrainingConfig(epochs, batchSize, o, s, l, normalization, seed, evalBatchSize, shards);
    }

    /** {@code 784-30-10 sigmoid, quadratic, sgd lr 3, batch 10, 30 epochs}. */
    public String describe(int inputs, int classes) {
        StringBuilder s = new StringBuilder().append(architecture.equals("cnn") ? "cnn " : "").append(inputs);
        hidden.forEach(h -> s.append('-').append(h));
        s.append('-').append(classes);
        if (!hidden.isEmpty()) {
            s.append(' ').append(activation.name().toLowerCase(Locale.ROOT));
        }
        return s.append(", ").append(loss).append(", ").append(config().optimizer()).append(", lr ")
                .append(config().schedule()).append(", batch ").append(batchSize).append(", ").append(epochs)
                .append(epochs == 1 ? " epoch" : " epochs").toString();
    }
}
