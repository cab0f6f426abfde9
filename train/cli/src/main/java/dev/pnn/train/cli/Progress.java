package dev.pnn.train.cli;

import dev.pnn.train.fit.TrainingConfig;
import dev.pnn.train.fit.TrainingRun;

import java.time.Duration;
import java.util.Locale;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar for each epoch on a terminal (steps, samples per second, running loss, time
 * left); nothing when the output is not a terminal, so that logs and CI keep to the epoch lines.
 */
abstract class Progress {

    abstract void step(TrainingRun run);

    abstract void epochDone();

    static Progress forTerminal(TrainingConfig config) {
        java.io.Console console = System.console();
        if (console == null || !console.isTerminal()) {
            return new Progress() {
                @Override
                void step(TrainingRun run) {
                }

                @Override
                void epochDone() {
                }
            };
        }
        return new Bar(config);
    }

    private static final class Bar extends Progress {
        private final TrainingConfig config;
        private ProgressBar bar;
        private long started;

        Bar(TrainingConfig config) {
            this.config = config;
        }

        @Override
        void step(TrainingRun run) {
            if (bar == null) {
                started = System.nanoTime();
                bar = new ProgressBarBuilder().setTaskName(String.format(Locale.ROOT, "epoch %d/%d", run.epoch() + 1,
                                config.epochs())).setInitialMax(run.stepsPerEpoch()).setStyle(ProgressBarStyle.ASCII)
                        .setUpdateIntervalMillis(200).setMaxRenderedLength(110).setEtaFunction((state) ->
                                java.util.Optional.of(Duration.ofMillis(eta(state.getCurrent(), state.getMax()))))
                        .build();
            }
            bar.stepTo(run.step());
            double seconds = (System.nanoTime() - started) * 1e-9;
            bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f, %,.0f samples/s", run.epochLoss(),
                    run.step() * config.batchSize() / Math.max(seconds, 1e-9)));
        }

        private long eta(long current, long max) {
            double seconds = (System.nanoTime() - started) * 1e-9;
            return current == 0 ? 0 : (long) (1000 * seconds * (max - current) / current);
        }

        @Override
        void epochDone() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }
    }
}
