package dev.pnn.train.fit;

/**
 * Hears of a training run as it goes, in the manner of Keras callbacks and DJL listeners:
 * checkpoints, progress, early stopping and plots are listeners on the loop, not branches in it.
 * Both methods run on the training thread, between steps; the run's state is consistent then.
 */
public interface TrainingListener {

    /** After every training step. */
    default void onStep(TrainingRun run) {}

    /** After every epoch, its evaluation included. */
    default void onEpoch(EpochStats stats, TrainingRun run) {}
}
