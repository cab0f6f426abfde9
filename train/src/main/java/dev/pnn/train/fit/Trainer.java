package dev.pnn.train.fit;

import dev.pnn.tensor.ByteMatrix;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.data.Batches;
import dev.pnn.train.data.Dataset;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.Network;
import dev.pnn.train.exec.Workspace;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Mini-batch training and evaluation of a {@link Network} on a classification {@link Dataset}.
 *
 * <p>Each step reads as llm.c's main loop: next batch, then a {@link TrainingStep} (forward, zero
 * grads, backward, update).
 */
public final class Trainer {

    private Trainer() {}

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
        List<EpochStats> history = new ArrayList<>();
        try (TrainingStep step = new TrainingStep(net, config.loss(), config.optimizer());
             Batches batches = new Batches(train, config.batchSize(), config.normalization(), net.backend(),
                     config.seed(), true);
             Batches testBatches = new Batches(test, config.evalBatchSize(), config.normalization(), net.backend(), 0,
                     false)) {
            int steps = batches.batchCount();
            for (int epoch = 0; epoch < config.epochs(); epoch++) {
                long start = System.nanoTime();
                batches.startEpoch(epoch);
                double lossSum = 0;
                long correct = 0;
                for (int i = 0; batches.hasNext(); i++) {
                    float lr = (float) config.schedule().at(epoch + (double) i / steps, config.epochs());
                    Batches.Batch batch = batches.next();
                    double loss = step.run(batch.images(), batch.labels(), lr);
                    if (!Double.isFinite(loss)) {
                        throw new TrainingDivergedException(epoch + 1, i + 1, steps, loss, lr);
                    }
                    lossSum += loss * batch.rows();
                    correct += countCorrect(step.output(), batch.labels());
                }
                double trainSeconds = (System.nanoTime() - start) * 1e-9;
                Evaluation eval = evaluate(step.workspace(), testBatches, config.loss());
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
        try (Batches batches = new Batches(data, batchSize, normalization, net.backend(), 0, false);
             Workspace ws = net.newWorkspace()) {
            return evaluate(ws, batches, loss);
        }
    }

    private static Evaluation evaluate(Workspace ws, Batches batches, Loss loss) {
        batches.startEpoch(0);
        double lossSum = 0;
        int correct = 0;
        int total = 0;
        while (batches.hasNext()) {
            Batches.Batch batch = batches.next();
            Tensor out = ws.forward(batch.images()).output();
            lossSum += loss.value(ws.network().backend(), out, batch.labels()) * batch.rows();
            correct += countCorrect(out, batch.labels());
            total += batch.rows();
        }
        return new Evaluation(lossSum / total, 100.0 * correct / total, correct, total);
    }

    /**
     * The predicted class of every row of {@code images} (uint8 pixels, normalized as in training),
     * computed in batches of {@code batchSize} without gradients: -1 for a row whose scores hold a NaN.
     */
    public static int[] predict(Network net, ByteMatrix images, Normalization normalization, int batchSize) {
        if (images.cols() != net.model().inputs()) {
            throw new IllegalArgumentException("predict: images have " + images.cols() + " values a row but model "
                    + net.model().widths() + " takes " + net.model().inputs());
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        int n = images.rows();
        int[] predictions = new int[n];
        try (Arena arena = Arena.ofConfined(); Workspace ws = net.newWorkspace()) {
            IntVector all = IntVector.allocate(arena, n);
            for (int i = 0; i < n; i++) {
                all.set(i, i);
            }
            Tensor full = Tensor.allocate(arena, Math.min(batchSize, n), images.cols());
            for (int from = 0; from < n; from += batchSize) {
                int rows = Math.min(batchSize, n - from);
                Tensor x = rows == full.rows() ? full : full.rows(0, rows);
                net.backend().gatherRows(images, all, from, normalization.scale(), normalization.shift(), x);
                Tensor scores = ws.forward(x).output();
                for (int r = 0; r < rows; r++) {
                    predictions[from + r] = argmax(scores, r);
                }
            }
        }
        return predictions;
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
}
