package dev.pnn.tensor;

/**
 * A seeded random generator whose every output is fixed by this code alone: SplitMix64 (Steele,
 * Lea and Flood) for the bits, {@link StrictMath} for the Gaussian transform. The same seed gives
 * the same numbers on every JDK and every machine, which is what makes initial weights and
 * shuffles bit-reproducible.
 */
public final class Rng {

    private long state;
    private double spareGaussian = Double.NaN;

    public Rng(long seed) {
        this.state = seed;
    }

    /** A generator for stream {@code stream} of {@code seed}, independent of the others (e.g. one per epoch). */
    public static Rng of(long seed, long stream) {
        return new Rng(mix(seed ^ mix(stream + 0x632BE59BD9B4E019L)));
    }

    public long nextLong() {
        return mix(state += 0x9E3779B97F4A7C15L);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1), 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1p-53;
    }

    /** Uniform in [lo, hi). */
    public double uniform(double lo, double hi) {
        return lo + (hi - lo) * nextDouble();
    }

    /** Uniform in [0, bound), without modulo bias. */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        long limit = Long.remainderUnsigned(-bound, bound); // 2^64 mod bound
        long r;
        do {
            r = nextLong();
        } while (Long.compareUnsigned(r, limit) < 0);
        return (int) Long.remainderUnsigned(r, bound);
    }

    /** Standard normal, by the Box-Muller transform (pairs; the second is kept for the next call). */
    public double nextGaussian() {
        if (!Double.isNaN(spareGaussian)) {
            double g = spareGaussian;
            spareGaussian = Double.NaN;
            return g;
        }
        double u1 = 1.0 - nextDouble(); // in (0, 1]: log is finite
        double u2 = nextDouble();
        double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
        double theta = 2.0 * Math.PI * u2;
        spareGaussian = r * StrictMath.sin(theta);
        return r * StrictMath.cos(theta);
    }
}
