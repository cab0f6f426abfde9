package dev.pnn.train.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.pnn.tensor.Backends;
import dev.pnn.train.data.Dataset;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.Network;
import dev.pnn.train.fit.EpochStats;
import dev.pnn.train.fit.History;
import dev.pnn.train.fit.Trainer;
import dev.pnn.train.io.ModelFile;
import dev.pnn.train.io.ModelInfo;
import dev.pnn.train.model.Linear;
import dev.pnn.train.model.ParameterSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pnn plot}: redraws a run's pictures from its history (and its saved model). */
@Command(name = "plot", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Draws a run's loss and accuracy curves from its history (train --history), and with --model "
                + "the first layer's weights and the test set's confusion matrix, as PNG files."})
final class PlotCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "HISTORY", description = "a history file (train --history)")
    Path history;

    @Option(names = "--model", paramLabel = "FILE", description = "the run's model file, for weights and confusion")
    Path model;

    @Option(names = {"--output", "-o"}, defaultValue = "plots", paramLabel = "DIR",
            description = "the folder to write into (created if missing)  [default: ${DEFAULT-VALUE}]")
    Path output;

    @Mixin
    DataOption data;

    @Override
    public Integer call() throws Exception {
        List<EpochStats> epochs = readHistory(history);
        Files.createDirectories(output);
        PrintWriter out = spec.commandLine().getOut();
        Path curves = output.resolve("curves.png");
        Plots.curves(epochs, curves);
        out.println("wrote " + curves);
        if (model != null) {
            try (ModelFile.Loaded m = ModelFile.load(model, Backends.named("native"));
                 Arena arena = Arena.ofShared()) {
                Dataset test = Mnist.load(data.dir, arena).test();
                drawModel(output, m.network(), test, m.info().normalization(), m.info(), out);
            }
        }
        return Main.OK;
    }

    /** Everything {@code train --plots} draws. */
    static void draw(Path dir, History h, Network net, Dataset test, Normalization normalization, ModelInfo info,
                     PrintWriter out) throws IOException {
        Path curves = dir.resolve("curves.png");
        Plots.curves(h.epochs(), curves);
        out.println("wrote " + curves);
        drawModel(dir, net, test, normalization, info, out);
    }

    private static void drawModel(Path dir, Network net, Dataset test, Normalization normalization, ModelInfo info,
                                  PrintWriter out) throws IOException {
        if (net.model().layers().getFirst() instanceof Linear first && test.isImages()) {
            int side = (int) Math.round(Math.sqrt(first.in()));
            if (side * side == first.in()) {
                ParameterSpec spec = net.parameters().spec("0.weight");
                float[] w = ParamJson.fileOrder(net.parameters().get("0.weight"), spec); // (out, in)
                float[][] units = new float[first.out()][];
                for (int u = 0; u < first.out(); u++) {
                    units[u] = java.util.Arrays.copyOfRange(w, u * first.in(), (u + 1) * first.in());
                }
                Path weights = dir.resolve("weights.png");
                Plots.weights(units, side, 16, weights);
                out.println("wrote " + weights);
            }
        }
        if (test.isImages()) {
            int[] predicted = Trainer.predict(net, test.images(), normalization, 1000);
            int k = net.model().outputs();
            int[][] confusion = new int[k][k];
            for (int i = 0; i < predicted.length; i++) {
                if (predicted[i] >= 0) {
                    confusion[test.labels().get(i)][predicted[i]]++;
                }
            }
            List<String> names = new ArrayList<>();
            for (int c = 0; c < k; c++) {
                names.add(info.className(c));
            }
            Path png = dir.resolve("confusion.png");
            Plots.confusion(confusion, names, png);
            out.println("wrote " + png);
        }
    }

    static List<EpochStats> readHistory(Path file) throws IOException {
        JsonElement root;
        try {
            root = JsonParser.parseString(Files.readString(file));
        } catch (RuntimeException e) {
            throw new IOException(file + ": expected a history (train --history), found invalid JSON (" + e.getMessage()
                    + ")");
        }
        List<EpochStats> epochs = new ArrayList<>();
        try {
            for (JsonElement e : root.getAsJsonObject().getAsJsonArray("epochs")) {
                JsonObject o = e.getAsJsonObject();
                epochs.add(new EpochStats(o.get("epoch").getAsInt(), number(o, "train_loss"),
                        number(o, "train_accuracy"), number(o, "validation_loss"), number(o, "validation_accuracy"),
                        number(o, "test_loss"), number(o, "test_accuracy"), number(o, "samples_per_second"),
                        number(o, "seconds")));
            }
        } catch (RuntimeException e) {
            throw new IOException(file + ": expected {\"epochs\": [{\"epoch\": 1, \"train_loss\": ...}, ...]}, found "
                    + "another document (" + e.getMessage() + ")");
        }
        if (epochs.isEmpty()) {
            throw new IOException(file + ": expected at least one epoch, found none");
        }
        return epochs;
    }

    private static double number(JsonObject o, String field) {
        JsonElement e = o.get(field);
        return e == null || e.isJsonNull() ? Double.NaN : e.getAsDouble();
    }
}
