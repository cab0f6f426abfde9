package dev.pnn.train.fit;

import java.util.List;

/**
 * A training run, epoch by epoch: the value {@link Trainer#fit} returns.
 *
 * @param epochs       the epochs run
 * @param stoppedEarly why the run stopped before its last epoch (early stopping), or null
 * @param bestEpoch    the epoch whose weights the network holds at the end when a listener
 *                     restored them (early stopping), or 0
 */
public record History(List<EpochStats> epochs, String stoppedEarly, int bestEpoch) {

    public History {
        epochs = List.copyOf(epochs);
    }

    public History(List<EpochStats> epochs) {
        this(epochs, null, 0);
    }

    /** The last epoch's statistics. */
    public EpochStats last() {
        return epochs.getLast();
    }

    /**
     * {@code {"epochs": [{"epoch", "train_loss", "train_accuracy", "validation_loss",
     * "validation_accuracy", "test_loss", "test_accuracy", "samples_per_second", "seconds"}, ...],
     * "stopped_early": ..., "best_epoch": ...}}, accuracies in percent; a non-finite number (no
     * validation set) is written as null.
     */
    public String toJson() {
        StringBuilder s = new StringBuilder("{\"epochs\": [");
        for (int i = 0; i < epochs.size(); i++) {
            EpochStats e = epochs.get(i);
            s.append(i == 0 ? "\n  " : ",\n  ")
                    .append("{\"epoch\": ").append(e.epoch())
                    .append(", \"train_loss\": ").append(number(e.trainLoss()))
                    .append(", \"train_accuracy\": ").append(number(e.trainAccuracy()))
                    .append(", \"validation_loss\": ").append(number(e.validationLoss()))
                    .append(", \"validation_accuracy\": ").append(number(e.validationAccuracy()))
                    .append(", \"test_loss\": ").append(number(e.testLoss()))
                    .append(", \"test_accuracy\": ").append(number(e.testAccuracy()))
                    .append(", \"samples_per_second\": ").append(number(e.samplesPerSecond()))
                    .append(", \"seconds\": ").append(number(e.seconds()))
                    .append('}');
        }
        s.append(epochs.isEmpty() ? "]" : "\n]");
        s.append(", \"stopped_early\": ").append(stoppedEarly == null ? "null"
                : new com.google.gson.Gson().toJson(stoppedEarly));
        s.append(", \"best_epoch\": ").append(bestEpoch == 0 ? "null" : Integer.toString(bestEpoch));
        return s.append("}\n").toString();
    }

    private static String number(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "null";
    }
}
