package dev.pnn.train.fit;

/** The loss stopped being a finite number; training stops rather than train on NaNs. */
public class TrainingDivergedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int epoch;
    private final int step;

    public TrainingDivergedException(int epoch, int step, int steps, double loss, double lr) {
        this("training diverged: the loss became " + loss + " at epoch " + epoch + ", step " + step + " of " + steps
                + " (learning rate " + lr + "); try a lower learning rate", epoch, step);
    }

    private TrainingDivergedException(String message, int epoch, int step) {
        super(message);
        this.epoch = epoch;
        this.step = step;
    }

    /** The loss is not finite because the parameters already hold a NaN or an infinity: not the learning rate's doing. */
    public static TrainingDivergedException badParameters(int epoch, int step, int steps, double loss) {
        return new TrainingDivergedException("the loss is " + loss + " at epoch " + epoch + ", step " + step + " of "
                + steps + " because the parameters hold a NaN or an infinity before that step (check where they "
                + "came from)", epoch, step);
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
