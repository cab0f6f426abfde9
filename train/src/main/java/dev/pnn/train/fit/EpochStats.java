package dev.pnn.train.fit;

/**
 * What one epoch did. Accuracies are in percent; the validation figures are NaN when the run
 * holds out no validation set.
 *
 * @param epoch              1-based
 * @param trainLoss          mean loss over the epoch's training examples, as trained on
 * @param trainAccuracy      percent of training examples classified right during the epoch
 * @param validationLoss     mean loss on the held-out validation set after the epoch
 * @param validationAccuracy percent of the validation set classified right after the epoch
 * @param testLoss           mean loss on the test set after the epoch
 * @param testAccuracy       percent of the test set classified right after the epoch
 * @param samplesPerSecond   training examples per second (training steps only)
 * @param seconds            wall time of the epoch, training and evaluation
 */
public record EpochStats(int epoch, double trainLoss, double trainAccuracy, double validationLoss,
                         double validationAccuracy, double testLoss, double testAccuracy, double samplesPerSecond,
                         double seconds) {

    public boolean hasValidation() {
        return !Double.isNaN(validationLoss);
    }
}
