package dev.pnn.train;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.data.Batches;
import dev.pnn.train.data.Dataset;
import dev.pnn.train.data.Normalization;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Mini-batch training and evaluation of a {@link Network} on a classification {@link Dataset}.
 *
 * <p>Each step reads as llm.c's main loop: next batch, forward, zero grads, backward, update.
 * When the loss is {@link Loss#nll()} and the model ends in {@link LogSoftMax}, the step runs the
 * model up to its logits and computes LogSoftMax and NLL as one fused cross-entropy kernel: the
 * same loss and gradient, in one pass.
 */
public final class Trainer {

    private Trainer() {}

    /**
     * How a training step computes the loss: through how many layers, with which loss.
     *
     * @param layers the prefix of the model the step runs
     * @param loss   the loss applied to that prefix's output
     */
    record Objective(int layers, Loss loss) {

        static Objective of(Model model, Loss loss) {
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
            };
        }
    }

    /**
     * Trains {@code net} on {@code train} for {@code config.epochs()} epochs, evaluating on
     * {@code test} after each, and returns the history. {@code listener} hears of every epoch as
     * it ends.
     *
     * @throws TrainingDivergedException when the loss stops being finite
     * @throws IllegalArgumentException  when the model, loss and data do not fit together
     */
    public static History fit(Network net, Dataset train, Dataset test, TrainingConfig config,
                              Consumer<EpochStats> listener) {
        Model model = net.model();
        checkFits(model, train, "training");
        checkFits(model, test, "test");
        Objective objective = Objective.of(model, config.loss());
        Backend backend = net.backend();
        List<EpochStats> history = new ArrayList<>();
        try (Arena arena = Arena.ofConfined();
             Batches batches = new Batches(train, config.batchSize(), config.normalization(), backend, config.seed(),
                     true);
             Batches testBatches = new Batches(test, config.evalBatchSize(), config.normalization(), backend, 0, false);
             OptimizerState state = new OptimizerState(config.optimizer(), net.parameters())) {
            int outputs = model.features(objective.layers());
            GradientBuffers dOutputs = new GradientBuffers(arena, outputs);
            int steps = batches.batchCount();
            for (int epoch = 0; epoch < config.epochs(); epoch++) {
                long start = System.nanoTime();
                batches.startEpoch(epoch);
                double lossSum = 0;
                long correct = 0;
                for (int step = 0; batches.hasNext(); step++) {
                    float lr = (float) config.schedule().at(epoch + (double) step / steps, config.epochs());
                    Batches.Batch batch = batches.next();
                    Vjp y = net.forward(batch.images(), objective.layers(), false);
                    net.zeroGradients();
                    Tensor dy = dOutputs.of(batch.rows());
                    double loss = objective.loss().valueAndGradient(backend, y.output(), batch.labels(), dy);
                    if (!Double.isFinite(loss)) {
                        throw new TrainingDivergedException(epoch + 1, step + 1, steps, loss, lr);
                    }
                    correct += countCorrect(y.output(), batch.labels());
                    y.pullback().apply(dy);
                    config.optimizer().step(backend, net.parameters(), net.gradients(), state, lr);
                    lossSum += loss * batch.rows();
                }
                double trainSeconds = (System.nanoTime() - start) * 1e-9;
                Evaluation eval = evaluate(net, testBatches, config.loss());
                double seconds = (System.nanoTime() - start) * 1e-9;
                EpochStats stats = new EpochStats(epoch + 1, lossSum / train.size(), 100.0 * correct / train.size(),
                        eval.loss(), eval.accuracy(), train.size() / trainSeconds, seconds);
                history.add(stats);
                listener.accept(stats);
            }
        }
        return new History(history);
    }

    /** Loss and accuracy of {@code net} on {@code data}, in batches of {@code batchSize}, without gradients. */
    public static Evaluation evaluate(Network net, Dataset data, Loss loss, Normalization normalization,
                                      int batchSize) {
        checkFits(net.model(), data, "evaluation");
        try (Batches batches = new Batches(data, batchSize, normalization, net.backend(), 0, false)) {
            return evaluate(net, batches, loss);
        }
    }

    private static Evaluation evaluate(Network net, Batches batches, Loss loss) {
        batches.startEpoch(0);
        double lossSum = 0;
        int correct = 0;
        int total = 0;
        while (batches.hasNext()) {
            Batches.Batch batch = batches.next();
            Tensor out = net.forward(batch.images()).output();
            lossSum += loss.value(net.backend(), out, batch.labels()) * batch.rows();
            correct += countCorrect(out, batch.labels());
            total += batch.rows();
        }
        return new Evaluation(lossSum / total, 100.0 * correct / total, correct, total);
    }

    /** How many rows of {@code scores} have their largest value at the row's label (a NaN row counts as wrong). */
    public static int countCorrect(Tensor scores, IntVector labels) {
        int correct = 0;
        for (int r = 0; r < scores.rows(); r++) {
            if (argmax(scores, r) == labels.get(r)) {
                correct++;
            }
        }
        return correct;
    }

    /** The column of the largest value in row {@code row}, the first of ties; -1 when the row holds a NaN. */
    public static int argmax(Tensor scores, int row) {
        int best = 0;
        float bestValue = scores.get(row, 0);
        for (int c = 0; c < scores.cols(); c++) {
            float v = scores.get(row, c);
            if (Float.isNaN(v)) {
                return -1;
            }
            if (v > bestValue) {
                best = c;
                bestValue = v;
            }
        }
        return best;
    }

    private static void checkFits(Model model, Dataset data, String what) {
        if (data.features() != model.inputs()) {
            throw new IllegalArgumentException("the " + what + " data has " + data.features()
                    + " features an example but model " + model.widths() + " takes " + model.inputs());
        }
        if (data.classes() != model.outputs()) {
            throw new IllegalArgumentException("the " + what + " data has " + data.classes()
                    + " classes but model " + model.widths() + " has " + model.outputs() + " outputs");
        }
    }

    /** The loss gradient buffers: one per batch size (the full batch and the last, partial one). */
    private static final class GradientBuffers {
        private final Arena arena;
        private final int cols;
        private final List<Tensor> buffers = new ArrayList<>(2);

        GradientBuffers(Arena arena, int cols) {
            this.arena = arena;
            this.cols = cols;
        }

        Tensor of(int rows) {
            for (int i = 0; i < buffers.size(); i++) {
                if (buffers.get(i).rows() == rows) {
                    return buffers.get(i);
                }
            }
            Tensor t = Tensor.allocate(arena, rows, cols);
            buffers.add(t);
            return t;
        }
    }
}
