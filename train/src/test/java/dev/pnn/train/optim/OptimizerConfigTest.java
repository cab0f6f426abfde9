package dev.pnn.train.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Schedules and optimizers: values checked where they are made. */
class OptimizerConfigTest {

    @Test
    void schedules() {
        assertEquals(0.1, LrSchedule.constant(0.1).at(7.5, 10));
        LrSchedule step = LrSchedule.stepDecay(0.1, 3, 0.5);
        assertEquals(0.1, step.at(2.99, 10));
        assertEquals(0.05, step.at(3, 10));
        assertEquals(0.025, step.at(6.2, 10), 1e-15);
        LrSchedule cosine = LrSchedule.cosine(0.1, 0.001);
        assertEquals(0.1, cosine.at(0, 10), 1e-15);
        assertEquals((0.1 + 0.001) / 2, cosine.at(5, 10), 1e-15);
        assertEquals(0.001, cosine.at(10, 10), 1e-15);
        assertTrue(cosine.at(2.5, 10) > cosine.at(2.6, 10), "cosine decreases within an epoch");
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.constant(0));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.constant(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.stepDecay(0.1, 0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.cosine(0.1, 0.2));
    }

    @Test
    void optimizersValidateTheirHyperparameters() {
        assertThrows(IllegalArgumentException.class, () -> Sgd.momentum(1));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(0, true, 0));
        assertThrows(IllegalArgumentException.class, () -> Sgd.plain().withWeightDecay(-1));
        assertThrows(IllegalArgumentException.class, () -> new Adam(0.9, 1, 1e-8, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new Adam(0.9, 0.999, 0, 0, false));
        assertEquals(0, Sgd.plain().stateBuffers());
        assertEquals(1, Sgd.nesterov(0.9).stateBuffers());
        assertEquals(2, Adam.defaults().stateBuffers());
        assertEquals("nesterov 0.9, weight decay 0.0005", Sgd.nesterov(0.9).withWeightDecay(5e-4).toString());
    }
}
