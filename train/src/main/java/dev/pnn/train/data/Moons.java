package dev.pnn.train.data;

import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Rng;
import dev.pnn.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.List;

/**
 * Two interleaving half circles with Gaussian noise (as scikit-learn's {@code make_moons}): class
 * 0 on the upper arc {@code (cos t, sin t)}, class 1 on the lower {@code (1 - cos t, 0.5 - sin t)},
 * {@code t} uniform in {@code [0, pi]}. A small problem that a linear model cannot solve.
 */
public final class Moons {

    private Moons() {}

    /** {@code n} points, alternately of each class, seeded. */
    public static Dataset generate(Arena arena, int n, double noise, long seed) {
        if (n < 2 || !(noise >= 0)) {
            throw new IllegalArgumentException("moons: n >= 2 and noise >= 0, got " + n + ", " + noise);
        }
        Rng rng = new Rng(seed);
        Tensor x = Tensor.allocate(arena, n, 2);
        IntVector y = IntVector.allocate(arena, n);
        for (int i = 0; i < n; i++) {
            int c = i % 2;
            double t = Math.PI * rng.nextDouble();
            double px = c == 0 ? Math.cos(t) : 1 - Math.cos(t);
            double py = c == 0 ? Math.sin(t) : 0.5 - Math.sin(t);
            x.set(i, 0, (float) (px + noise * rng.nextGaussian()));
            x.set(i, 1, (float) (py + noise * rng.nextGaussian()));
            y.set(i, c);
        }
        return Dataset.ofTable(x, y, 2, List.of("upper", "lower"));
    }
}
