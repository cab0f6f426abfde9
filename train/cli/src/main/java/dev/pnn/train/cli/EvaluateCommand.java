package dev.pnn.train.cli;

import dev.pnn.tensor.Backend;
import dev.pnn.train.data.Dataset;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.fit.Evaluation;
import dev.pnn.train.fit.Trainer;
import dev.pnn.train.io.ModelFile;
import dev.pnn.train.model.Loss;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pnn evaluate}: a saved model's test loss and accuracy, per class, and its confusion matrix. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Evaluates a saved model on the test set: loss, accuracy, accuracy per class, confusion matrix.")
final class EvaluateCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "a model file (.npz)")
    Path model;

    @Mixin
    DataOption data;

    @Option(names = "--eval-batch-size", defaultValue = "1000", paramLabel = "N",
            description = "examples per batch  [default: ${DEFAULT-VALUE}]")
    int batch;

    @Option(names = "--wrong", defaultValue = "3", paramLabel = "N",
            description = "show the N most confidently wrong test images  [default: ${DEFAULT-VALUE}]")
    int wrong;

    @Mixin
    BackendOptions backendOptions;

    @Override
    public Integer call() throws Exception {
        if (batch < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--eval-batch-size: expected 1 or more, found "
                    + batch);
        }
        Backend backend = backendOptions.open(spec.commandLine());
        PrintWriter out = spec.commandLine().getOut();
        try (ModelFile.Loaded m = ModelFile.load(model, backend); Arena arena = Arena.ofShared()) {
            Dataset test = Mnist.load(data.dir, arena).test();
            Evaluation e = Trainer.evaluate(m.network(), test, Loss.fitting(m.network().model()),
                    m.info().normalization(), batch);
            int[] predicted = Trainer.predict(m.network(), test.images(), m.info().normalization(), batch);
            int classes = m.network().model().outputs();
            int[][] confusion = new int[classes][classes];
            int nan = 0;
            for (int i = 0; i < predicted.length; i++) {
                if (predicted[i] < 0) {
                    nan++;
                } else {
                    confusion[test.labels().get(i)][predicted[i]]++;
                }
            }
            out.printf(Locale.ROOT, "model    %s (%s)%n", model, m.network().model().widths());
            out.printf(Locale.ROOT, "test     %,d images from %s%n", test.size(), data.dir);
            out.printf(Locale.ROOT, "loss     %.4f%naccuracy %.2f%% (%,d of %,d)%n", e.loss(), e.accuracy(),
                    e.correct(), e.total());
            if (nan > 0) {
                out.printf(Locale.ROOT, "%d images gave a NaN output%n", nan);
            }
            out.println();
            out.println("accuracy per class:");
            for (int c = 0; c < classes; c++) {
                int total = 0;
                for (int p = 0; p < classes; p++) {
                    total += confusion[c][p];
                }
                out.printf(Locale.ROOT, "  %-6s %6.2f%% (%d of %d)%n", m.info().className(c),
                        total == 0 ? 0.0 : 100.0 * confusion[c][c] / total, confusion[c][c], total);
            }
            out.println();
            out.println("confusion matrix (rows: true class, columns: predicted):");
            StringBuilder head = new StringBuilder("        ");
            for (int p = 0; p < classes; p++) {
                head.append(String.format(Locale.ROOT, "%6s", m.info().className(p)));
            }
            out.println(head);
            for (int c = 0; c < classes; c++) {
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "  %-6s", m.info().className(c)));
                for (int p = 0; p < classes; p++) {
                    row.append(String.format(Locale.ROOT, "%6d", confusion[c][p]));
                }
                out.println(row);
            }
            showWrong(out, m, test);
        }
        return Main.OK;
    }

    /** The test images the model gets wrong with the highest confidence, as ASCII art. */
    private void showWrong(PrintWriter out, ModelFile.Loaded m, Dataset test) {
        if (wrong <= 0 || m.network().model().inputs() != Images.SIDE * Images.SIDE) {
            return;
        }
        record Wrong(int index, dev.pnn.train.infer.Prediction p) {}
        java.util.List<Wrong> all = new java.util.ArrayList<>();
        try (dev.pnn.train.infer.Classifier c = dev.pnn.train.infer.Classifier.of(m.network(), m.info())) {
            byte[] pixels = new byte[c.inputs()];
            for (int i = 0; i < test.size(); i++) {
                test.images().read((long) i * pixels.length, pixels);
                dev.pnn.train.infer.Prediction p = c.classify(pixels);
                if (p.index() != test.labels().get(i)) {
                    all.add(new Wrong(i, p));
                }
            }
        }
        all.sort(java.util.Comparator.comparingDouble((Wrong w) -> -w.p().confidence()));
        out.println();
        out.printf(Locale.ROOT, "the %d most confidently wrong of %d wrong test images:%n", Math.min(wrong, all.size()),
                all.size());
        byte[] pixels = new byte[Images.SIDE * Images.SIDE];
        for (Wrong w : all.subList(0, Math.min(wrong, all.size()))) {
            test.images().read((long) w.index() * pixels.length, pixels);
            out.printf(Locale.ROOT, "%ntest image %d: true %s, predicted %s (%.1f%%)%n", w.index(),
                    m.info().className(test.labels().get(w.index())), w.p().label(), 100 * w.p().confidence());
            out.print(Images.ascii(pixels));
        }
    }
}
