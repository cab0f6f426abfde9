package dev.pnn.train.cli;

import dev.pnn.train.data.Dataset;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.data.Normalization;

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
import picocli.CommandLine.Parameters;

/**
 * {@code pnn inspect}: how a network changed between two snapshots ({@code train --snapshots}),
 * layer by layer: the norm of the weights, of their change, and the share of dead ReLU units.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Compares two snapshots of an MLP (train --snapshots, or export --format json), layer by layer: "
                + "the norm of the weights and biases, the norm of their change, and the share of hidden ReLU units "
                + "that are dead (zero for every one of --images test images) in the second."})
final class InspectCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "BEFORE", description = "the earlier snapshot")
    Path before;

    @Parameters(index = "1", paramLabel = "AFTER", description = "the later snapshot")
    Path after;

    @Option(names = "--images", defaultValue = "1000", paramLabel = "N",
            description = "test images to look for dead units with  [default: ${DEFAULT-VALUE}]")
    int images;

    @Option(names = "--normalize", defaultValue = "mnist", paramLabel = "MODE",
            description = "how the model was trained: mnist | none  [default: ${DEFAULT-VALUE}]")
    String normalize;

    @Mixin
    DataOption data;

    @Override
    public Integer call() throws Exception {
        List<float[][]> a = ParamJson.read(before);
        List<float[][]> b = ParamJson.read(after);
        if (a.size() != b.size() || a.size() % 2 != 0) {
            throw new IllegalArgumentException(after + ": expected the weights and biases of the same MLP as " + before
                    + " (" + a.size() + " arrays), found " + b.size() + " arrays");
        }
        for (int k = 0; k < a.size(); k++) {
            if (a.get(k).length != b.get(k).length || a.get(k)[0].length != b.get(k)[0].length) {
                throw new IllegalArgumentException(after + ": param_" + k + ": expected " + a.get(k).length + "x"
                        + a.get(k)[0].length + " as in " + before + ", found " + b.get(k).length + "x" + b.get(k)[0].length);
            }
        }
        Normalization norm = switch (normalize) {
            case "mnist" -> Normalization.MNIST;
            case "none" -> Normalization.NONE;
            default -> throw new CommandLine.ParameterException(spec.commandLine(), "--normalize: expected mnist or "
                    + "none, found '" + normalize + "'");
        };
        int layers = a.size() / 2;
        int[] dead = new int[layers];
        try (Arena arena = Arena.ofShared()) {
            Dataset test = Mnist.load(data.dir, arena).test();
            if (b.get(0)[0].length != test.features()) {
                throw new IllegalArgumentException(after + ": expected a first layer of " + test.features()
                        + " inputs, found " + b.get(0)[0].length);
            }
            int n = Math.min(images, test.size());
            boolean[][] alive = new boolean[layers][];
            for (int i = 0; i < n; i++) {
                double[] h = new double[test.features()];
                for (int p = 0; p < h.length; p++) {
                    h[p] = (test.images().get(i, p) / 255.0 - norm.mean()) / norm.std();
                }
                for (int l = 0; l < layers - 1; l++) {
                    float[][] w = b.get(2 * l);
                    float[] bias = b.get(2 * l + 1)[0];
                    double[] next = new double[w.length];
                    if (alive[l] == null) {
                        alive[l] = new boolean[w.length];
                    }
                    for (int u = 0; u < w.length; u++) {
                        double s = bias[u];
                        for (int p = 0; p < h.length; p++) {
                            s += w[u][p] * h[p];
                        }
                        next[u] = Math.max(0, s);
                        alive[l][u] |= s > 0;
                    }
                    h = next;
                }
            }
            for (int l = 0; l < layers - 1; l++) {
                for (boolean x : alive[l]) {
                    dead[l] += x ? 0 : 1;
                }
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "%-7s %-9s %12s %12s %12s %12s %10s%n", "layer", "shape", "|W| before", "|W| after",
                "|change W|", "|change b|", "dead ReLU");
        for (int l = 0; l < layers; l++) {
            float[][] wa = a.get(2 * l);
            float[][] wb = b.get(2 * l);
            out.printf(Locale.ROOT, "%-7d %-9s %12.4f %12.4f %12.4f %12.4f %10s%n", l, wb.length + "x" + wb[0].length,
                    norm(wa, null), norm(wb, null), norm(wb, wa), norm(b.get(2 * l + 1), a.get(2 * l + 1)),
                    l < layers - 1 ? String.format(Locale.ROOT, "%d/%d", dead[l], wb.length) : "-");
        }
        return Main.OK;
    }

    /** The Frobenius norm of {@code x}, or of {@code x - minus}. */
    private static double norm(float[][] x, float[][] minus) {
        double s = 0;
        for (int r = 0; r < x.length; r++) {
            for (int c = 0; c < x[r].length; c++) {
                double v = x[r][c] - (minus == null ? 0 : minus[r][c]);
                s += v * v;
            }
        }
        return Math.sqrt(s);
    }
}
