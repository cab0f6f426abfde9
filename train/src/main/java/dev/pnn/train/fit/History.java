package dev.pnn.train.fit;

import java.util.List;

/** A training run, epoch by epoch: the value {@link Trainer#fit} returns. */
public record History(List<EpochStats> epochs) {

    public History {
        epochs = List.copyOf(epochs);
    }

    /** The last epoch's statistics. */
    public EpochStats last() {
        return epochs.getLast();
    }

    /**
     * {@code {"epochs": [{"epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
     * "samples_per_second", "seconds"}, ...]}}, accuracies in percent; a non-finite number is
     * written as null.
     */
    public String toJson() {
        StringBuilder s = new StringBuilder("{\"epochs\": [");
        for (int i = 0; i < epochs.size(); i++) {
            EpochStats e = epochs.get(i);
            s.append(i == 0 ? "\n  " : ",\n  ")
                    .append("{\"epoch\": ").append(e.epoch())
                    .append(", \"train_loss\": ").append(number(e.trainLoss()))
                    .append(", \"train_accuracy\": ").append(number(e.trainAccuracy()))
                    .append(", \"test_loss\": ").append(number(e.testLoss()))
                    .append(", \"test_accuracy\": ").append(number(e.testAccuracy()))
                    .append(", \"samples_per_second\": ").append(number(e.samplesPerSecond()))
                    .append(", \"seconds\": ").append(number(e.seconds()))
                    .append('}');
        }
        return s.append(epochs.isEmpty() ? "]}\n" : "\n]}\n").toString();
    }

    private static String number(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "null";
    }
}
