package dev.pnn.train.fit;

import dev.pnn.train.io.ModelInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a {@link Checkpoint} at the end of every epoch and, when asked, every {@code everySteps}
 * steps, into a folder ({@code checkpoint-<steps>.npz}), keeping the newest {@code keep}. Each is
 * written atomically, so a run killed at any moment leaves its newest whole checkpoint to resume
 * from ({@link Checkpoint#newest}).
 */
public final class Checkpointer implements TrainingListener {

    private final Path dir;
    private final int everySteps;
    private final int keep;
    private final ModelInfo info;

    /**
     * @param everySteps 0 for epoch ends only, else also every that many steps
     * @param keep       how many checkpoints to keep, {@code >= 1}
     */
    public Checkpointer(Path dir, int everySteps, int keep, ModelInfo info) {
        if (everySteps < 0 || keep < 1) {
            throw new IllegalArgumentException("checkpoint every " + everySteps + " steps, keep " + keep
                    + ": expected every >= 0 and keep >= 1");
        }
        this.dir = dir;
        this.everySteps = everySteps;
        this.keep = keep;
        this.info = info;
    }

    @Override
    public void onStep(TrainingRun run) {
        if (everySteps > 0 && run.step() % everySteps == 0 && run.step() < run.stepsPerEpoch()) {
            write(run);
        }
    }

    @Override
    public void onEpoch(EpochStats stats, TrainingRun run) {
        write(run);
    }

    private void write(TrainingRun run) {
        long global = (long) run.epoch() * run.stepsPerEpoch() + run.step();
        try {
            run.checkpoint().save(dir.resolve(Checkpoint.fileName(global)), run, info);
            List<Path> all = Checkpoint.list(dir);
            for (int i = 0; i < all.size() - keep; i++) {
                Files.deleteIfExists(all.get(i));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing a checkpoint into " + dir + ": " + e.getMessage(), e);
        }
    }
}
