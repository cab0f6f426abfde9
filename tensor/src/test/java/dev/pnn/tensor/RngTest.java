package dev.pnn.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RngTest {

    /** SplitMix64's published output for seed 0 (Vigna's reference splitmix64.c). */
    @Test
    void matchesTheSplitMix64ReferenceOutput() {
        Rng rng = new Rng(0);
        assertEquals(0xE220A8397B1DCDAFL, rng.nextLong());
        assertEquals(0x6E789E6AA1B965F4L, rng.nextLong());
        assertEquals(0x06C45D188009454FL, rng.nextLong());
    }

    @Test
    void streamsAreReproducibleAndDistinct() {
        assertEquals(Rng.of(42, 3).nextLong(), Rng.of(42, 3).nextLong());
        assertNotEquals(Rng.of(42, 3).nextLong(), Rng.of(42, 4).nextLong());
        assertNotEquals(Rng.of(42, 3).nextLong(), Rng.of(43, 3).nextLong());
    }

    @Test
    void distributionsHaveTheRightMoments() {
        Rng rng = new Rng(1);
        int n = 200_000;
        double sum = 0;
        double sumSq = 0;
        int[] counts = new int[10];
        for (int i = 0; i < n; i++) {
            double g = rng.nextGaussian();
            sum += g;
            sumSq += g * g;
            counts[rng.nextInt(10)]++;
            double u = rng.nextDouble();
            assertTrue(u >= 0 && u < 1);
        }
        assertEquals(0, sum / n, 0.01, "Gaussian mean");
        assertEquals(1, sumSq / n, 0.01, "Gaussian variance");
        for (int c : counts) {
            assertEquals(n / 10.0, c, 5 * Math.sqrt(n / 10.0), "nextInt(10) counts");
        }
    }
}
