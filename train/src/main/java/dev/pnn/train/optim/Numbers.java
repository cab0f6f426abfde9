package dev.pnn.train.optim;

import java.math.BigDecimal;

/** Hyperparameters as people write them: 0.05, 5e-4 as 0.0005, 0 rather than 0.0. */
final class Numbers {

    private Numbers() {}

    static String format(double v) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }
}
