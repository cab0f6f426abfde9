package dev.pnn.train.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pnn.tensor.Pinning;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.model.Loss;
import dev.pnn.train.optim.LrSchedule;
import dev.pnn.train.optim.Sgd;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class TrainingConfigTest {

    @Test
    void trainingConfigRejectsNonsense() {
        TrainingConfig d = TrainingConfig.defaults();
        assertThrows(IllegalArgumentException.class, () -> d.withEpochs(0));
        assertThrows(IllegalArgumentException.class, () -> d.withBatchSize(0));
        assertThrows(IllegalArgumentException.class, () -> d.withOptimizer(null));
        assertThrows(IllegalArgumentException.class, () -> d.withSchedule(null));
        assertThrows(IllegalArgumentException.class, () -> d.withPinning(null));
    }

    /** Each {@code with} method changes its own component and keeps every other, the pinning among them. */
    @Test
    void withMethodsKeepTheOtherComponents() {
        TrainingConfig c = TrainingConfig.defaults().withShards(2).withPinning(Pinning.of(3, 1));
        List<UnaryOperator<TrainingConfig>> changes = List.of(x -> x.withEpochs(3), x -> x.withBatchSize(7),
                x -> x.withOptimizer(Sgd.plain()), x -> x.withSchedule(LrSchedule.constant(0.5)),
                x -> x.withLoss(Loss.mse()), x -> x.withNormalization(Normalization.NONE), x -> x.withSeed(9),
                x -> x.withShards(3));
        for (UnaryOperator<TrainingConfig> change : changes) {
            TrainingConfig changed = change.apply(c);
            assertEquals(Pinning.of(3, 1), changed.pinning(), changed.toString());
        }
        TrainingConfig pinned = c.withPinning(Pinning.none());
        assertEquals(new TrainingConfig(c.epochs(), c.batchSize(), c.optimizer(), c.schedule(), c.loss(),
                c.normalization(), c.seed(), c.evalBatchSize(), c.shards(), Pinning.none()), pinned);
    }

    /**
     * Without a pinning of their own, the defaults and the nine-component constructor pin as the
     * system property {@value Pinning#PROPERTY} asks, and a bad value of it is an error naming it.
     */
    @Test
    void theSystemPropertyIsTheDefaultPinning() {
        String old = System.getProperty(Pinning.PROPERTY);
        try {
            System.clearProperty(Pinning.PROPERTY);
            assertEquals(Pinning.none(), TrainingConfig.defaults().pinning());
            System.setProperty(Pinning.PROPERTY, "2,3");
            assertEquals(Pinning.of(2, 3), TrainingConfig.defaults().pinning());
            assertEquals(Pinning.of(2, 3), new TrainingConfig(1, 8, Sgd.plain(), LrSchedule.constant(0.1), Loss.nll(),
                    Normalization.NONE, 1, 8, 2).pinning());
            System.setProperty(Pinning.PROPERTY, "two");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, TrainingConfig::defaults);
            assertEquals("system property " + Pinning.PROPERTY + ": expected true, false or CPU numbers separated "
                    + "by commas (such as 0,1), found 'two'", e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty(Pinning.PROPERTY);
            } else {
                System.setProperty(Pinning.PROPERTY, old);
            }
        }
    }
}
