package dev.pnn.train.fit;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TrainingConfigTest {

    @Test
    void trainingConfigRejectsNonsense() {
        TrainingConfig d = TrainingConfig.defaults();
        assertThrows(IllegalArgumentException.class, () -> d.withEpochs(0));
        assertThrows(IllegalArgumentException.class, () -> d.withBatchSize(0));
        assertThrows(IllegalArgumentException.class, () -> d.withOptimizer(null));
        assertThrows(IllegalArgumentException.class, () -> d.withSchedule(null));
    }
}
