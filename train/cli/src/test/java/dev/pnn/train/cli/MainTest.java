package dev.pnn.train.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.Pinning;
import dev.pnn.train.fit.TrainingConfig;
import dev.pnn.train.io.ModelFile;
import dev.pnn.train.model.Model;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

class MainTest {

    record Result(int exit, String out, String err) {}

    static final Path DATA = Path.of(System.getProperty("pnn.mnist.dir", "../../data/mnist"));

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void usageError(String expected, String... args) {
        Result r = run(args);
        assertEquals(Main.USAGE, r.exit(), r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains(expected), "stderr '" + r.err() + "' lacks '"
                + expected + "'");
        assertTrue(r.err().contains("--help"), r.err());
        assertEquals("", r.out());
    }

    private static void failure(String expected, String... args) {
        Result r = run(args);
        assertEquals(Main.FAILED, r.exit(), r.out() + r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains(expected), "stderr '" + r.err() + "' lacks '"
                + expected + "'");
        assertTrue(!r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
    }

    /** The options the README documents, command by command: adding or dropping one must show here. */
    @Test
    void everyCommandHasItsDocumentedOptionsAndHelp() {
        CommandLine cli = new CommandLine(new Main());
        assertEquals(Set.of("train", "evaluate", "predict", "export", "plot", "inspect", "moons", "help"),
                cli.getSubcommands().keySet());
        assertEquals(new TreeSet<>(List.of("--model", "--data", "--csv", "--test-csv", "--label", "--epochs",
                "--batch-size", "--lr", "--optimizer", "--momentum", "--weight-decay", "--schedule", "--hidden",
                "--activation", "--loss", "--init", "--seed", "--eval-batch-size", "--shards", "--pin-threads",
                "--normalize", "--validation", "--early-stopping", "--save", "--history", "--plots", "--snapshots",
                "--checkpoint-dir", "--checkpoint-every", "--keep-checkpoints", "--resume", "--backend", "--blas",
                "--threads", "--verbose", "--help", "--version")), names(cli.getSubcommands().get("train")));
        assertEquals(new TreeSet<>(List.of("--model", "--data", "--eval-batch-size", "--wrong", "--backend", "--blas",
                "--threads", "--verbose", "--help", "--version")), names(cli.getSubcommands().get("evaluate")));
        assertEquals(new TreeSet<>(List.of("--model", "--idx", "--data", "--backend", "--blas", "--threads",
                "--verbose", "--help", "--version")), names(cli.getSubcommands().get("predict")));
        assertEquals(new TreeSet<>(List.of("--model", "--format", "--output", "--help", "--version")),
                names(cli.getSubcommands().get("export")));
        for (String command : List.of("train", "evaluate", "predict", "export", "plot", "inspect", "moons")) {
            // picocli formats descriptions as format strings, and warns on System.err of a lone %
            PrintStream systemErr = System.err;
            ByteArrayOutputStream warnings = new ByteArrayOutputStream();
            Result r;
            try {
                System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
                r = run(command, "--help");
            } finally {
                System.setErr(systemErr);
            }
            assertEquals("", warnings.toString(StandardCharsets.UTF_8), command + " --help");
            assertEquals(Main.OK, r.exit());
            for (String option : names(cli.getSubcommands().get(command))) {
                assertTrue(r.out().contains(option), command + " --help lacks " + option);
            }
        }
        Result v = run("--version");
        assertEquals(Main.OK, v.exit());
        assertTrue(v.out().startsWith("panama-nn 0."), v.out());
    }

    private static Set<String> names(CommandLine c) {
        Set<String> s = new TreeSet<>();
        c.getCommandSpec().options().forEach(o -> s.add(o.longestName()));
        return s;
    }

    private static TrainCommand parsed(String... args) {
        TrainCommand t = new TrainCommand();
        new CommandLine(t).parseArgs(args);
        return t;
    }

    @Test
    void noOptionsGiveTheLibrarysDefaultConfiguration() {
        TrainCommand t = parsed();
        assertEquals(TrainingConfig.defaults(), t.config(t.recipe()));
        assertEquals(Model.mnist(), t.recipe().model(784, 10));
    }

    /** Each preset sets its own defaults, and every option still overrides them. */
    @Test
    void presetsSetTheirDefaultsAndOptionsOverrideThem() {
        TrainCommand nielsen = parsed("--model", "sigmoid-30");
        TrainingConfig c = nielsen.config(nielsen.recipe());
        assertEquals(Model.sigmoid30(), nielsen.recipe().model(784, 10));
        assertEquals(30, c.epochs());
        assertEquals(10, c.batchSize());
        assertEquals(dev.pnn.train.optim.Sgd.plain(), c.optimizer());
        assertEquals(dev.pnn.train.optim.LrSchedule.constant(3.0), c.schedule());
        assertEquals(dev.pnn.train.model.Loss.quadratic(), c.loss());
        assertEquals(dev.pnn.train.data.Normalization.NONE, c.normalization());
        TrainCommand changed = parsed("--model", "sigmoid-30", "--epochs", "3", "--hidden", "100", "--lr", "0.5");
        TrainingConfig c2 = changed.config(changed.recipe());
        assertEquals(3, c2.epochs());
        assertEquals(dev.pnn.train.optim.LrSchedule.constant(0.5), c2.schedule());
        assertEquals("784-100-10", changed.recipe().model(784, 10).widths());
        TrainCommand softmax = parsed("--model", "softmax");
        assertEquals(Model.softmax(), softmax.recipe().model(784, 10));
        usageError("--model: unknown model 'lenet'", "train", "--model", "lenet");
        usageError("--model perceptron-3v7 takes --epochs, --lr, --seed, --data and --save", "train", "--model",
                "perceptron-3v7", "--hidden", "10");
        String help = run("train", "--help").out();
        for (String preset : List.of("mlp", "softmax", "sigmoid-30", "perceptron-3v7")) {
            assertTrue(help.contains("  " + preset + " "), "help lists " + preset);
        }
        assertTrue(help.contains(">= 95%") && help.contains(">= 98%"), help);
    }

    @Test
    void badCommandLinesAreUsageErrors() {
        usageError("a command is required");
        usageError("Unknown options: '--epoch', '3'", "train", "--epoch", "3");
        usageError("Missing required parameter for option '--epochs'", "train", "--epochs");
        usageError("Invalid value for option '--epochs': 'ten' is not an int", "train", "--epochs", "ten");
        usageError("--epochs: expected 1 to 100000, found 0", "train", "--epochs", "0");
        usageError("--batch-size: expected 1 to 1048576, found -5", "train", "--batch-size=-5");
        usageError("--lr: expected a number in [1.0E-10, 10.0] (smaller steps vanish in float32 weights), found -0.1",
                "train", "--lr", "-0.1");
        usageError("--lr: expected a number in [1.0E-10, 10.0]", "train", "--lr", "1e-320");
        usageError("--lr: expected a number in [1.0E-10, 10.0]", "train", "--lr", "NaN");
        usageError("--momentum: expected a number in [0, 1), found 1.0", "train", "--momentum", "1");
        usageError("--hidden: expected widths from 1 to 65536, found 0", "train", "--hidden", "128,0");
        usageError("--hidden: expected widths separated by commas", "train", "--hidden", "128;64");
        usageError("--optimizer: expected one of sgd, momentum, nesterov, adam, adamw, found 'rmsprop'", "train",
                "--optimizer", "rmsprop");
        usageError("--backend: expected native or reference, found 'gpu'", "train", "--backend", "gpu", "--epochs", "1");
        usageError("--threads: expected 1 to " + NativeBackend.instance().blas().maxThreads(), "train", "--threads", "1024",
                "--epochs", "1");
        usageError("--checkpoint-every: needs --checkpoint-dir", "train", "--checkpoint-every", "10");
        usageError("--pin-threads: expected true, false or CPU numbers separated by commas (such as 0,1), found "
                + "'0;1'", "train", "--pin-threads=0;1");
        usageError("--format: expected json or npz, found 'onnx'", "export", "--model", "m.npz", "--format", "onnx",
                "-o", "x");
        usageError("expected --idx N or picture files", "predict", "--model", "m.npz");
    }

    /** Every output is checked before training starts: a bad one costs nothing and loses nothing. */
    @Test
    void outputsAreCheckedBeforeTraining(@TempDir Path dir) throws Exception {
        Path same = dir.resolve("same");
        usageError("--history: expected a file of its own, found the same path as --save", "train", "--save",
                same.toString(), "--history", same.toString());
        failure("cannot read " + dir.resolve("missing/m.npz") + ": its folder", "train", "--save",
                dir.resolve("missing/m.npz").toString());
        Path fifo = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        failure(fifo + ": expected a regular file to write, found a special file", "train", "--save", fifo.toString());
        failure(dir + ": expected a regular file to write, found a folder", "train", "--history", dir.toString());
        failure("/sys/m.npz: permission denied (cannot create files in /sys)", "train", "--save", "/sys/m.npz", "--data", DATA.toString());
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        failure(file + ": expected a folder for --checkpoint-dir, found a file", "train", "--checkpoint-dir",
                file.toString());
        failure(file + ": expected a folder for --plots, found a file", "train", "--plots", file.toString());
        failure("cannot read " + dir.resolve("nothing.npz") + ": no such checkpoint (--resume)", "train", "--resume",
                dir.resolve("nothing.npz").toString());
    }

    @Test
    void missingOrCorruptDataIsNamed(@TempDir Path dir) throws IOException {
        failure("train-images-idx3-ubyte", "train", "--data", dir.toString(), "--epochs", "1");
        assertTrue(run("train", "--data", dir.toString()).err().contains("make data"));
        for (String name : new String[] {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte"}) {
            Files.write(dir.resolve(name), new byte[] {0, 0, 8, 3, 0, 0});
        }
        failure(dir.resolve("train-images-idx3-ubyte") + ": dimension sizes", "train", "--data", dir.toString());
    }

    /** Test images of another size than the training images: one line, exit 1. */
    @Test
    void imagesOfDifferentWidthsAreNamed(@TempDir Path dir) throws IOException {
        idx(dir.resolve("train-images-idx3-ubyte"), 3, 28, 28);
        idx(dir.resolve("t10k-images-idx3-ubyte"), 3, 20, 20);
        labels(dir.resolve("train-labels-idx1-ubyte"), 3);
        labels(dir.resolve("t10k-labels-idx1-ubyte"), 3);
        failure("the test data has 400 features an example but model 784-128-64-10 takes 784", "train", "--data",
                dir.toString(), "--epochs", "1");
    }

    private static void idx(Path file, int n, int h, int w) throws IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16 + n * h * w);
        b.putInt(0x0803).putInt(n).putInt(h).putInt(w);
        Files.write(file, b.array());
    }

    private static void labels(Path file, int n) throws IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + n);
        b.putInt(0x0801).putInt(n);
        Files.write(file, b.array());
    }

    @Test
    void aModelTooLargeIsRefusedWithItsSize() {
        failure("has 4347133962 parameters; at most 2147483647 fit one flat buffer", "train", "--data",
                DATA.toString(), "--hidden", "65536,65536", "--epochs", "1");
    }

    /** Buffers beyond this machine's memory are refused with their size, not left to the kernel's OOM killer. */
    @Test
    void aBatchTooLargeForMemoryIsRefusedWithItsSize() {
        failure("a batch of 60000 through model 784-65536-10 needs ", "train", "--data", DATA.toString(), "--hidden",
                "65536", "--batch-size", "60000", "--epochs", "1", "--shards", "1");
        assertTrue(Errors.describe(new OutOfMemoryError("Java heap space")).startsWith("out of memory (Java heap "
                + "space): a smaller model or batch needs less"));
    }

    /** Starts {@code pnn args} in a child JVM on this class path, its stderr merged into its stdout. */
    static Process startChild(List<String> args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** Runs the command line in a child JVM, where no BLAS has been loaded yet; stdout and stderr together. */
    private static Result child(String... args) throws Exception {
        Process p = startChild(List.of(args));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
        return new Result(p.exitValue(), out, "");
    }

    /** Pointed at a library that is not there. */
    @Test
    void missingBlasIsAClearErrorWithAWayOut() throws Exception {
        Result r = child("train", "--epochs", "1", "--blas", "/nonexistent/libopenblas.so.0");
        assertEquals(Main.FAILED, r.exit(), r.out());
        assertTrue(r.out().startsWith("error: Could not load the BLAS library: pnn.blas (--blas on the command line) "
                + "is '/nonexistent/libopenblas.so.0'"), r.out());
        assertTrue(r.out().contains("apt-get install libopenblas0") && r.out().contains("--backend reference"), r.out());
        assertTrue(!r.out().contains("\tat "), r.out());
    }

    /** {@code --blas blis} loads BLIS, sets its threads, and the run's header says so. */
    @Test
    void blasIsChosenOnTheCommandLineAndNamedInTheHeader() throws Exception {
        Result r = child("train", "--blas", "blis", "--threads", "2", "--epochs", "1", "--hidden", "16", "--data",
                DATA.toString());
        assertEquals(Main.OK, r.exit(), r.out());
        assertTrue(r.out().contains("backend  native: blis (BLIS 0."), r.out());
        assertTrue(r.out().contains("), 2 threads"), r.out());
    }

    /**
     * With shards, the header says when the JVM profiles the first steps (its defaults) and how to
     * avoid it; not when it runs C1 alone or C2 alone.
     */
    @Test
    void theHeaderHintsAtTheProfilingTierWhenShardsShareIt() {
        assertTrue(TrainCommand.profilingHint("true", "4").contains("-XX:TieredStopAtLevel=1"));
        assertTrue(TrainCommand.profilingHint("true", "3").contains("-XX:TieredStopAtLevel=1"));
        assertEquals("", TrainCommand.profilingHint("true", "1"));
        assertEquals("", TrainCommand.profilingHint("false", "4"));
        assertEquals("", TrainCommand.profilingHint(null, null));
        HotSpotDiagnosticMXBean bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        String hint = TrainCommand.profilingHint(bean.getVMOption("TieredCompilation").getValue(),
                bean.getVMOption("TieredStopAtLevel").getValue());
        Result r = run("train", "--epochs", "1", "--hidden", "16", "--shards", "2", "--data", DATA.toString());
        assertEquals(Main.OK, r.exit(), r.err());
        String training = r.out().lines().filter(l -> l.startsWith("training ")).findFirst().orElseThrow();
        assertTrue(training.endsWith("each batch over 2 threads" + hint), training);
    }

    /**
     * {@code --pin-threads} pins the shards' threads (the header names their CPUs) and changes no
     * bit of the result; without it nothing is pinned and the header says nothing of it. The
     * option reaches the run through its configuration: the process's system property
     * {@value Pinning#PROPERTY} is left as it was.
     */
    @Test
    void pinnedThreadsAreNamedInTheHeaderAndTrainToTheSameLoss() {
        String old = System.getProperty(Pinning.PROPERTY);
        try {
            Result free = run("train", "--epochs", "1", "--hidden", "16", "--shards", "2", "--data", DATA.toString());
            assertEquals(Main.OK, free.exit(), free.err());
            if (!Pinning.supported()) {
                usageError("--pin-threads: pinning threads needs Linux", "train", "--pin-threads", "--epochs", "1");
                return;
            }
            int first = Pinning.firstAllowed().cpusFor(1).get(0);
            Result pinned = run("train", "--epochs", "1", "--hidden", "16", "--shards", "2", "--pin-threads="
                    + first + "," + first, "--data", DATA.toString());
            assertEquals(Main.OK, pinned.exit(), pinned.err());
            assertEquals(old, System.getProperty(Pinning.PROPERTY), "the system property after --pin-threads");
            String training = pinned.out().lines().filter(l -> l.startsWith("training ")).findFirst().orElseThrow();
            assertTrue(training.contains("each batch over 2 threads, pinned to CPUs " + first + ", " + first),
                    training);
            assertTrue(free.out().lines().filter(l -> l.startsWith("training ")).noneMatch(l -> l.contains("pinned")),
                    free.out());
            assertFalse(lossLines(free.out()).isEmpty(), free.out());
            assertEquals(lossLines(free.out()), lossLines(pinned.out()));
        } finally {
            if (old == null) {
                System.clearProperty(Pinning.PROPERTY);
            } else {
                System.setProperty(Pinning.PROPERTY, old);
            }
        }
    }

    /** The lines of a run's output that carry its losses and accuracies, cut before its speed and times. */
    private static List<String> lossLines(String out) {
        return out.lines().filter(l -> l.contains("loss") && !l.startsWith("training ")).map(l -> l.replaceAll(
                "\\s+[0-9,]+ samples/s.*", "")).toList();
    }

    /** Train, save, evaluate, predict a test image and a picture, export as JSON and check it with numpy. */
    @Test
    void trainSaveEvaluatePredictExport(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("mnist.npz");
        Path history = dir.resolve("history.json");
        Result r = run("train", "--data", DATA.toString(), "--epochs", "1", "--history", history.toString(), "--save",
                model.toString());
        assertEquals(Main.OK, r.exit(), r.err());
        assertTrue(r.out().contains("model    784-128-64-10"), r.out());
        assertTrue(r.out().matches("(?s).*epoch  1/1  loss \\d\\.\\d{4}  train  \\d\\d\\.\\d\\d%  test  \\d\\d\\.\\d\\d%.*"
                + "samples/s  elapsed .*"), r.out());
        double accuracy = Double.parseDouble(r.out().replaceAll("(?s).*test accuracy: ([0-9.]+)%.*", "$1"));
        assertTrue(accuracy > 90, r.out());
        String json = Files.readString(history);
        assertTrue(json.startsWith("{\"epochs\": [\n  {\"epoch\": 1, \"train_loss\": "), json);
        assertEquals(accuracy, (double) ModelFile.info(model).training().get("final_accuracy"), 0.005);

        Result e = run("evaluate", "--model", model.toString(), "--data", DATA.toString());
        assertEquals(Main.OK, e.exit(), e.err());
        assertTrue(e.out().contains(String.format(java.util.Locale.ROOT, "accuracy %.2f%%", accuracy)), e.out());
        assertTrue(e.out().contains("confusion matrix (rows: true class, columns: predicted):"), e.out());
        assertTrue(e.out().matches("(?s).*\\n  7 +\\d+\\.\\d\\d% \\(\\d+ of 1028\\).*"), e.out());

        Result p = run("predict", "--model", model.toString(), "--data", DATA.toString(), "--idx", "0");
        assertEquals(Main.OK, p.exit(), p.err());
        assertTrue(p.out().startsWith("test image 0 (label 7): 7\n  7 "), p.out());
        assertEquals(3 + 28, p.out().lines().count() - 1, p.out());

        // test image 0 (a 7) drawn black on white, three times larger and off-centre: preprocessing undoes all that
        Path png = dir.resolve("seven.png");
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(120, 100,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = img.createGraphics();
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(0, 0, 120, 100);
        g.dispose();
        var images = dev.pnn.train.data.Idx.readUnsignedBytes(DATA.resolve("t10k-images-idx3-ubyte"), 3,
                java.lang.foreign.Arena.ofAuto());
        for (int i = 0; i < 784; i++) {
            int v = 255 - images.get(0, i);
            for (int dy = 0; dy < 3; dy++) {
                for (int dx = 0; dx < 3; dx++) {
                    img.setRGB(10 + 3 * (i % 28) + dx, 5 + 3 * (i / 28) + dy, v << 16 | v << 8 | v);
                }
            }
        }
        javax.imageio.ImageIO.write(img, "png", png.toFile());
        Result pic = run("predict", "--model", model.toString(), png.toString());
        assertEquals(Main.OK, pic.exit(), pic.err());
        assertTrue(pic.out().startsWith(png + ": 7\n"), pic.out());
        failure(dir.resolve("nothing.png") + ": no such file", "predict", "--model", model.toString(),
                dir.resolve("nothing.png").toString());
        failure(history + ": expected an image that Java reads", "predict", "--model", model.toString(),
                history.toString());

        Path exported = dir.resolve("params.json");
        assertEquals(Main.OK, run("export", "--model", model.toString(), "--format", "json", "-o",
                exported.toString()).exit());
        Path again = dir.resolve("again.npz");
        assertEquals(Main.OK, run("export", "--model", model.toString(), "--format", "npz", "-o", again.toString())
                .exit());
        try (var a = ModelFile.load(model, NativeBackend.instance()); var b = ModelFile.load(again,
                NativeBackend.instance())) {
            assertArrayEquals(a.network().parameters().flat().toArray(), b.network().parameters().flat().toArray());
        }
        // numpy computes the same predictions from the JSON export: (out, in) weights, y = W x + b
        String script = """
                import json, sys, numpy as np
                p = json.load(open(sys.argv[1]))
                assert sorted(p) == ["param_%d" % i for i in range(6)], sorted(p)
                W = [np.array(p["param_%d" % (2 * i)], dtype=np.float32) for i in range(3)]
                b = [np.array(p["param_%d" % (2 * i + 1)], dtype=np.float32) for i in range(3)]
                assert [w.shape for w in W] == [(128, 784), (64, 128), (10, 64)], [w.shape for w in W]
                raw = open(sys.argv[2], "rb").read()
                x = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 784)[:200].astype(np.float32)
                x = (x / 255 - 0.1307) / 0.3081
                for i in range(3):
                    x = x @ W[i].T + b[i]
                    if i < 2:
                        x = np.maximum(x, 0)
                print(" ".join(str(int(v)) for v in x.argmax(axis=1)))
                """;
        Process py = new ProcessBuilder("/usr/bin/python3", "-c", script, exported.toString(),
                DATA.resolve("t10k-images-idx3-ubyte").toString()).redirectErrorStream(true).start();
        String pyOut = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, py.waitFor(), "python3 with numpy (Debian's python3-numpy, which .ci/run installs): " + pyOut);
        try (var m = ModelFile.load(model, NativeBackend.instance())) {
            int[] ours = dev.pnn.train.fit.Trainer.predict(m.network(), images, m.info().normalization(), 1000);
            String expected = java.util.Arrays.stream(ours).limit(200).mapToObj(Integer::toString)
                    .collect(java.util.stream.Collectors.joining(" "));
            assertEquals(expected, pyOut);
        }
    }
}
