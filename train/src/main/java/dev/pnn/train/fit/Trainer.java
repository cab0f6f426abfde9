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
import dev.pnn.train.optim.OptimizerState;

import java.io.IOException;
import java.io.UncheckedIOException;
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
        return fit(net, train, test, config, new TrainingListener() {
            @Override
            public void onEpoch(EpochStats stats, TrainingRun run) {
                listener.accept(stats);
            }
        });
    }

    /** As {@link #fit(Network, Dataset, Dataset, TrainingConfig, Consumer)}, with a listener that hears of every step too. */
    public static History fit(Network net, Dataset train, Dataset test, TrainingConfig config,
                              TrainingListener listener) {
        return fit(net, train, null, test, config, listener);
    }

    /**
     * Trains on {@code train}, evaluating on {@code validation} (held out from the training data;
     * null for none) and on {@code test} after every epoch. Listeners such as
     * {@link EarlyStopping} act on the validation figures.
     */
    public static History fit(Network net, Dataset train, Dataset validation, Dataset test, TrainingConfig config,
                              TrainingListener listener) {
        return new Run(net, train, validation, test, config, listener).run(null);
    }

    /**
     * Continues the run that wrote {@code from}: {@code net} must hold its parameters (loaded
     * from the same file with {@code ModelFile.load}) and {@code config} its settings;
     * {@code config.epochs()} is the total. With the same OpenBLAS kernels and thread count,
     * the run ends with the bits an uninterrupted run would have.
     *
     * @throws IllegalArgumentException when {@code config} differs from the checkpoint's settings,
     *                                  or its epochs are already done
     */
    public static History resume(Checkpoint from, Network net, Dataset train, Dataset test, TrainingConfig config,
                                 TrainingListener listener) throws IOException {
        if (!Checkpoint.settings(config).equals(from.settings())) {
            throw new IllegalArgumentException("the checkpoint " + from.file() + " was written by a run with "
                    + from.settings() + "; this run has " + Checkpoint.settings(config)
                    + ": resume with the same settings");
        }
        if (from.epoch() >= config.epochs()) {
            throw new IllegalArgumentException("the checkpoint " + from.file() + " is at the end of epoch "
                    + from.epoch() + "; --epochs " + config.epochs() + " is the total, so nothing is left to train");
        }
        return new Run(net, train, null, test, config, listener).run(from);
    }

    /** One run of the training loop, as its listeners see it. */
    private static final class Run implements TrainingRun {
        private final Network net;
        private final Dataset train;
        private final Dataset validation;
        private final Dataset test;
        private final TrainingConfig config;
        private final TrainingListener listener;
        private final List<EpochStats> history = new ArrayList<>();
        private TrainingStep step;
        private int epoch;
        private int stepInEpoch;
        private int steps;
        private double lossSum;
        private long correct;
        private String stopped;
        private int bestEpoch;

        Run(Network net, Dataset train, Dataset validation, Dataset test, TrainingConfig config,
            TrainingListener listener) {
            checkFits(net.model(), train, "training");
            checkFits(net.model(), test, "test");
            if (validation != null) {
                checkFits(net.model(), validation, "validation");
            }
            this.net = net;
            this.train = train;
            this.validation = validation;
            this.test = test;
            this.config = config;
            this.listener = listener;
        }

        History run(Checkpoint from) {
            try (TrainingStep s = new TrainingStep(net, config.loss(), config.optimizer(), config.shards(),
                    config.pinning());
                 Batches batches = new Batches(train, config.batchSize(), config.normalization(), net.backend(),
                         config.seed(), true);
                 Batches testBatches = new Batches(test, config.evalBatchSize(), config.normalization(),
                         net.backend(), 0, false);
                 Batches validationBatches = validation == null ? null : new Batches(validation,
                         config.evalBatchSize(), config.normalization(), net.backend(), 0, false)) {
                step = s.seed(config.seed());
                steps = batches.batchCount();
                TrainingStep.Fill fill = batches::fill; // each shard gathers its own rows
                int first = 0;
                if (from != null) {
                    from.restoreOptimizer(s.optimizerState());
                    history.addAll(from.history());
                    first = from.epoch();
                }
                for (epoch = first; epoch < config.epochs(); epoch++) {
                    long start = System.nanoTime();
                    batches.startEpoch(epoch);
                    stepInEpoch = 0;
                    lossSum = 0;
                    correct = 0;
                    if (from != null && epoch == from.epoch()) {
                        batches.skip(from.step());
                        stepInEpoch = from.step();
                        lossSum = from.lossSum();
                        correct = from.correct();
                    }
                    int trained = 0;
                    while (batches.hasNext()) {
                        float lr = (float) config.schedule().at(epoch + (double) stepInEpoch / steps, config.epochs());
                        Batches.Batch batch = batches.nextUnfilled();
                        double loss = s.run(batch.images(), batch.labels(), lr, fill);
                        stepInEpoch++;
                        if (!Double.isFinite(loss)) {
                            throw diverged(loss, lr);
                        }
                        lossSum += loss * batch.rows();
                        correct += net.backend().countCorrect(s.output(), batch.labels());
                        trained += batch.rows();
                        listener.onStep(this);
                    }
                    double trainSeconds = (System.nanoTime() - start) * 1e-9;
                    Evaluation eval = evaluate(s.workspace(), testBatches, config.loss());
                    Evaluation val = validationBatches == null ? null
                            : evaluate(s.workspace(), validationBatches, config.loss());
                    double seconds = (System.nanoTime() - start) * 1e-9;
                    EpochStats stats = new EpochStats(epoch + 1, lossSum / train.size(),
                            100.0 * correct / train.size(), val == null ? Double.NaN : val.loss(),
                            val == null ? Double.NaN : val.accuracy(), eval.loss(), eval.accuracy(),
                            trained / trainSeconds, seconds);
                    history.add(stats);
                    epoch++;
                    stepInEpoch = 0;
                    lossSum = 0;
                    correct = 0;
                    try {
                        listener.onEpoch(stats, this);
                    } finally {
                        epoch--;
                    }
                    if (stopped != null) {
                        break;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new History(history, stopped, bestEpoch);
        }

        private TrainingDivergedException diverged(double loss, float lr) {
            float[] chunk = new float[1 << 14];
            Tensor p = net.parameters().flat();
            for (long at = 0; at < net.parameters().count(); at += chunk.length) {
                float[] part = at + chunk.length <= net.parameters().count() ? chunk
                        : new float[(int) (net.parameters().count() - at)];
                p.get(at, part);
                for (float v : part) {
                    if (!Float.isFinite(v)) {
                        return TrainingDivergedException.badParameters(epoch + 1, stepInEpoch, steps, loss);
                    }
                }
            }
            return new TrainingDivergedException(epoch + 1, stepInEpoch, steps, loss, lr);
        }

        @Override
        public Network network() {
            return net;
        }

        @Override
        public TrainingConfig config() {
            return config;
        }

        @Override
        public OptimizerState optimizerState() {
            return step.optimizerState();
        }

        @Override
        public int epoch() {
            return epoch;
        }

        @Override
        public int step() {
            return stepInEpoch;
        }

        @Override
        public int stepsPerEpoch() {
            return steps;
        }

        @Override
        public double epochLoss() {
            return stepInEpoch == 0 ? Double.NaN : lossSum / Math.min((long) stepInEpoch * config.batchSize(),
                    train.size());
        }

        @Override
        public List<EpochStats> history() {
            return List.copyOf(history);
        }

        @Override
        public void stop(String reason, int bestEpoch) {
            this.stopped = reason;
            this.bestEpoch = bestEpoch;
        }

        @Override
        public Checkpoint checkpoint() {
            return new Checkpoint(epoch, stepInEpoch, step.optimizerState().steps(), lossSum, correct, history,
                    Checkpoint.settings(config), null);
        }
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
            correct += ws.network().backend().countCorrect(out, batch.labels());
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
