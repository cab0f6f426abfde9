package dev.pnn.train.optim;

/**
 * The learning rate as a function of training progress, measured in epochs (fractional within an
 * epoch, so that schedules can change per step).
 */
public sealed interface LrSchedule {

    /** The learning rate after {@code progress} epochs of {@code totalEpochs}. */
    double at(double progress, int totalEpochs);

    static LrSchedule constant(double lr) {
        return new Constant(lr);
    }

    /** {@code lr * gamma^floor(epoch / every)}, as PyTorch's StepLR stepped once per epoch. */
    static LrSchedule stepDecay(double lr, int every, double gamma) {
        return new StepDecay(lr, every, gamma);
    }

    /** Cosine annealing from {@code lr} to {@code minLr} over the whole run, updated every step. */
    static LrSchedule cosine(double lr, double minLr) {
        return new Cosine(lr, minLr);
    }

    private static void checkRate(String what, double lr) {
        if (!(lr > 0 && Double.isFinite(lr))) {
            throw new IllegalArgumentException(what + " must be finite and > 0, got " + lr);
        }
    }

    record Constant(double lr) implements LrSchedule {
        public Constant {
            checkRate("learning rate", lr);
        }

        @Override
        public double at(double progress, int totalEpochs) {
            return lr;
        }

        @Override
        public String toString() {
            return "constant " + Numbers.format(lr);
        }
    }

    record StepDecay(double lr, int every, double gamma) implements LrSchedule {
        public StepDecay {
            checkRate("learning rate", lr);
            if (every < 1) {
                throw new IllegalArgumentException("step decay period must be >= 1 epoch, got " + every);
            }
            if (!(gamma > 0 && gamma <= 1)) {
                throw new IllegalArgumentException("step decay factor must be in (0, 1], got " + gamma);
            }
        }

        @Override
        public double at(double progress, int totalEpochs) {
            return lr * StrictMath.pow(gamma, Math.floor(progress / every));
        }

        @Override
        public String toString() {
            return "step " + Numbers.format(lr) + ", x" + Numbers.format(gamma) + " every " + every + " epochs";
        }
    }

    record Cosine(double lr, double minLr) implements LrSchedule {
        public Cosine {
            checkRate("learning rate", lr);
            if (!(minLr >= 0 && minLr <= lr)) {
                throw new IllegalArgumentException("cosine minimum rate must be in [0, " + lr + "], got " + minLr);
            }
        }

        @Override
        public double at(double progress, int totalEpochs) {
            double t = Math.min(1, progress / totalEpochs);
            return minLr + (lr - minLr) * 0.5 * (1 + StrictMath.cos(Math.PI * t));
        }

        @Override
        public String toString() {
            return "cosine " + Numbers.format(lr) + " to " + Numbers.format(minLr);
        }
    }
}
