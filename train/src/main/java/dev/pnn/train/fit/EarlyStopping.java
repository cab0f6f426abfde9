package dev.pnn.train.fit;

import dev.pnn.tensor.Tensor;

import java.util.Locale;

/**
 * Stops training when the validation loss has not improved for {@code patience} epochs, and
 * restores the weights of the best epoch (as Keras's {@code EarlyStopping} with
 * {@code restore_best_weights}). When the run ends on its own, the best weights are restored too.
 * Needs a validation set ({@link Trainer#fit(dev.pnn.train.exec.Network, dev.pnn.train.data.Dataset,
 * dev.pnn.train.data.Dataset, dev.pnn.train.data.Dataset, TrainingConfig, TrainingListener)}).
 */
public final class EarlyStopping implements TrainingListener {

    private final int patience;
    private double best = Double.POSITIVE_INFINITY;
    private int bestEpoch;
    private float[] bestWeights;

    /** @param patience epochs without improvement before stopping, {@code >= 1} */
    public EarlyStopping(int patience) {
        if (patience < 1) {
            throw new IllegalArgumentException("early stopping patience must be >= 1 epoch, got " + patience);
        }
        this.patience = patience;
    }

    @Override
    public void onEpoch(EpochStats stats, TrainingRun run) {
        if (!stats.hasValidation()) {
            throw new IllegalStateException("early stopping watches the validation loss: hold out a validation set");
        }
        Tensor weights = run.network().parameters().flat();
        if (stats.validationLoss() < best) {
            best = stats.validationLoss();
            bestEpoch = stats.epoch();
            bestWeights = weights.toArray();
        }
        boolean patienceOut = stats.epoch() - bestEpoch >= patience;
        boolean last = run.epoch() >= run.config().epochs();
        if ((patienceOut || last) && bestEpoch != stats.epoch()) {
            weights.set(0, bestWeights);
        }
        if (patienceOut && !last) {
            run.stop(String.format(Locale.ROOT, "validation loss has not improved for %d epochs (best %.4f at epoch %d)",
                    patience, best, bestEpoch), bestEpoch);
        } else if (last && bestEpoch != stats.epoch()) {
            run.stop(null, bestEpoch);
        }
    }

    /** The epoch with the lowest validation loss so far, or 0. */
    public int bestEpoch() {
        return bestEpoch;
    }
}
