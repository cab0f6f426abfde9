package dev.pnn.train.cli;

import dev.pnn.tensor.Backend;
import dev.pnn.train.data.Dataset;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.infer.Classifier;
import dev.pnn.train.infer.Prediction;
import dev.pnn.train.io.ModelFile;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pnn predict}: the digit in a test image or in picture files, with its three likeliest classes. */
@Command(name = "predict", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Classifies test images (--idx) or picture files (PNG, JPEG, GIF, BMP) with a saved model.",
                "Pictures are made into MNIST inputs as MNIST was made: greyscale, inverted when the background is "
                        + "light, fitted into 20x20 keeping the aspect ratio, centred by centre of mass in 28x28."})
final class PredictCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "a model file (.npz)")
    Path model;

    @Option(names = "--idx", paramLabel = "N", split = ",", description = "index (or indices) of test-set images")
    List<Integer> indices = new ArrayList<>();

    @Mixin
    DataOption data;

    @Parameters(paramLabel = "IMAGE", arity = "0..*", description = "picture files of digits")
    List<Path> images = new ArrayList<>();

    @Mixin
    BackendOptions backendOptions;

    @Override
    public Integer call() throws Exception {
        if (indices.isEmpty() && images.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "expected --idx N or picture files to classify");
        }
        Backend backend = backendOptions.open(spec.commandLine());
        PrintWriter out = spec.commandLine().getOut();
        ModelFile.Loaded m = ModelFile.load(model, backend);
        try (Classifier c = Classifier.of(m.network(), m.info()); m) {
            if (c.inputs() != Images.SIDE * Images.SIDE) {
                throw new IllegalArgumentException(model + ": expected a model of 28x28 = 784 inputs, found "
                        + c.inputs());
            }
            if (!indices.isEmpty()) {
                try (Arena arena = Arena.ofShared()) {
                    Dataset test = Mnist.load(data.dir, arena).test();
                    for (int idx : indices) {
                        if (idx < 0 || idx >= test.size()) {
                            throw new CommandLine.ParameterException(spec.commandLine(), "--idx: expected 0 to "
                                    + (test.size() - 1) + ", found " + idx);
                        }
                        byte[] pixels = new byte[c.inputs()];
                        for (int i = 0; i < pixels.length; i++) {
                            pixels[i] = (byte) test.images().get(idx, i);
                        }
                        show(out, "test image " + idx + " (label " + test.labels().get(idx) + ")", pixels, c);
                    }
                }
            }
            for (Path image : images) {
                show(out, image.toString(), Images.mnistInput(image), c);
            }
        }
        return Main.OK;
    }

    private static void show(PrintWriter out, String what, byte[] pixels, Classifier c) {
        Prediction p = c.classify(pixels);
        out.printf(Locale.ROOT, "%s: %s%n", what, p.label());
        for (Prediction.Ranked r : p.top(3, c.info().classes())) {
            out.printf(Locale.ROOT, "  %-6s %6.2f%%%n", r.label(), 100 * r.probability());
        }
        out.print(Images.ascii(pixels));
    }
}
