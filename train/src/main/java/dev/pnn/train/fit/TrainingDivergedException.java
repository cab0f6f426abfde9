package dev.pnn.train.fit;

/** The loss stopped being a finite number; training stops rather than train on NaNs. */
public class TrainingDivergedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int epoch;
    private final int step;

    public TrainingDivergedException(int epoch, int step, int steps, double loss, double lr) {
        super("training diverged: the loss became " + loss + " at epoch " + epoch + ", step " + step + " of " + steps
                + " (learning rate " + lr + "); try a lower learning rate");
        this.epoch = epoch;
        this.step = step;
    }

    /** 1-based epoch of the non-finite loss. */
    public int epoch() {
        return epoch;
    }

    /** 1-based step within that epoch. */
    public int step() {
        return step;
    }
}
