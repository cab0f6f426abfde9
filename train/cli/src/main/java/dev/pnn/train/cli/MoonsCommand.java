package dev.pnn.train.cli;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.data.Dataset;
import dev.pnn.train.data.Moons;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.Network;
import dev.pnn.train.exec.Workspace;
import dev.pnn.train.fit.History;
import dev.pnn.train.fit.Trainer;
import dev.pnn.train.fit.TrainingConfig;
import dev.pnn.train.model.Activation;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.optim.Adam;
import dev.pnn.train.optim.LrSchedule;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pnn moons}: a 2-16-16-2 MLP on two interleaving half circles, and its decision boundary. */
@Command(name = "moons", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Trains a 2-16-16-2 ReLU MLP on the two-moons problem (80%% of the points; tested on the rest) "
                + "and draws its decision boundary.")
final class MoonsCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--samples", defaultValue = "1000", paramLabel = "N", description = "points  [default: ${DEFAULT-VALUE}]")
    int samples;

    @Option(names = "--noise", defaultValue = "0.15", paramLabel = "X",
            description = "standard deviation of the noise  [default: ${DEFAULT-VALUE}]")
    double noise;

    @Option(names = "--epochs", defaultValue = "100", paramLabel = "N", description = "[default: ${DEFAULT-VALUE}]")
    int epochs;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N", description = "[default: ${DEFAULT-VALUE}]")
    long seed;

    @Option(names = "--plot", paramLabel = "FILE", description = "write the decision boundary as a PNG")
    Path plot;

    @Mixin
    BackendOptions backendOptions;

    @Override
    public Integer call() throws Exception {
        if (samples < 10 || !(noise >= 0) || epochs < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "expected --samples >= 10, --noise >= 0 and "
                    + "--epochs >= 1, found " + samples + ", " + noise + ", " + epochs);
        }
        if (plot != null) {
            dev.pnn.train.io.AtomicFiles.checkWritable(plot);
        }
        Backend backend = backendOptions.open(spec.commandLine());
        PrintWriter out = spec.commandLine().getOut();
        try (Arena arena = Arena.ofShared()) {
            Dataset all = Moons.generate(arena, samples, noise, seed);
            Dataset.Split split = all.split(arena, samples / 5, seed);
            Model model = Model.mlp(2, List.of(16, 16), 2, Activation.RELU);
            TrainingConfig config = new TrainingConfig(epochs, 32, Adam.defaults(), LrSchedule.cosine(0.01, 0),
                    Loss.nll(), Normalization.NONE, seed, 1000);
            try (Network net = Network.create(model, backend, Init.PYTORCH_DEFAULT, seed)) {
                History h = Trainer.fit(net, split.train(), split.validation(), config, e -> { });
                out.printf(Locale.ROOT, "moons: %d points (noise %s), %s, %d epochs of Adam: train %.2f%%, test %.2f%%%n",
                        samples, noise, model.widths(), epochs, h.last().trainAccuracy(), h.last().testAccuracy());
                if (plot != null) {
                    draw(net, all, plot);
                    out.println("wrote " + plot);
                }
                out.printf(Locale.ROOT, "test accuracy: %.2f%%%n", h.last().testAccuracy());
            }
        }
        return Main.OK;
    }

    private static void draw(Network net, Dataset all, Path png) throws java.io.IOException {
        int side = 120;
        double[][] points = new double[all.size()][2];
        int[] labels = new int[all.size()];
        double minX = Double.MAX_VALUE;
        double maxX = -Double.MAX_VALUE;
        double minY = Double.MAX_VALUE;
        double maxY = -Double.MAX_VALUE;
        for (int i = 0; i < all.size(); i++) {
            points[i][0] = all.table().get(i, 0);
            points[i][1] = all.table().get(i, 1);
            labels[i] = all.labels().get(i);
            minX = Math.min(minX, points[i][0]);
            maxX = Math.max(maxX, points[i][0]);
            minY = Math.min(minY, points[i][1]);
            maxY = Math.max(maxY, points[i][1]);
        }
        double[][] grid = new double[side * side][2];
        int[] cls = new int[side * side];
        try (Arena arena = Arena.ofConfined(); Workspace ws = net.newWorkspace()) {
            Tensor x = Tensor.allocate(arena, side * side, 2);
            for (int i = 0; i < side * side; i++) {
                grid[i][0] = minX - 0.3 + (maxX - minX + 0.6) * (i % side) / (side - 1);
                grid[i][1] = minY - 0.3 + (maxY - minY + 0.6) * (i / side) / (side - 1);
                x.set(i, 0, (float) grid[i][0]);
                x.set(i, 1, (float) grid[i][1]);
            }
            Tensor scores = ws.forward(x).output();
            for (int i = 0; i < side * side; i++) {
                cls[i] = Trainer.argmax(scores, i);
            }
        }
        Plots.boundary(grid, cls, points, labels, all.classNames(), png);
    }
}
