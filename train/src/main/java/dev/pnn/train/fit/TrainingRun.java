package dev.pnn.train.fit;

import dev.pnn.train.exec.Network;
import dev.pnn.train.optim.OptimizerState;

import java.util.List;

/**
 * A training run as its listeners see it between steps: where it is, and what a checkpoint
 * needs to continue it bit for bit.
 */
public interface TrainingRun {

    Network network();

    TrainingConfig config();

    OptimizerState optimizerState();

    /** The epoch in progress, from 0; after the last epoch, {@code config().epochs()}. */
    int epoch();

    /** Steps done in the epoch in progress. */
    int step();

    int stepsPerEpoch();

    /** The mean training loss of the epoch in progress so far (NaN before its first step). */
    double epochLoss();

    /** The epochs finished so far. */
    List<EpochStats> history();

    /** The state to save to continue this run from here. */
    Checkpoint checkpoint();

    /**
     * Ends the run after the epoch in progress (from {@link TrainingListener#onEpoch}: now),
     * recording why and which epoch's weights the network holds (0: the last one's).
     */
    void stop(String reason, int bestEpoch);
}
