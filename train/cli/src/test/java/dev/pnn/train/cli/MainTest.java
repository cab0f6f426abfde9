package dev.pnn.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.pnn.train.fit.TrainingConfig;
import dev.pnn.train.model.Model;
import dev.pnn.train.optim.LrSchedule;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    private record Result(int exit, String out, String err) {}

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void usageError(String expected, String... args) {
        Result r = run(args);
        assertEquals(Main.USAGE, r.exit(), r.err());
        assertTrue(r.err().contains(expected), "stderr '" + r.err() + "' lacks '" + expected + "'");
        assertTrue(r.err().contains("--help"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void helpListsEveryOptionTheParserKnows() {
        Result r = run("--help");
        assertEquals(Main.OK, r.exit());
        assertEquals(20, Options.KNOWN.size());
        for (String name : Options.KNOWN.keySet()) {
            assertTrue(r.out().contains("  --" + name + " "), "usage lacks --" + name);
        }
    }

    /** The command line's defaults are the library's: no option gives TrainingConfig.defaults(). */
    @Test
    void noOptionsGiveTheLibrarysDefaultConfiguration() throws Options.UsageException {
        Options o = Options.parse();
        assertEquals(TrainingConfig.defaults(), o.config());
        assertEquals(Model.mnist(), o.model(784, 10));
        String help = run("--help").out();
        assertTrue(help.contains("[" + TrainingConfig.DEFAULT_EPOCHS + "]") && help.contains("[0.05; adam: 0.001]")
                && help.contains("[128,64]") && help.contains("mean and std (0.1307, 0.3081)"), help);
    }

    @Test
    void unknownAndMalformedOptionsAreUsageErrors() {
        usageError("unknown option --epoch", "--epoch", "3");
        usageError("--epochs needs a value", "--epochs");
        usageError("--epochs takes a whole number, got 'ten'", "--epochs", "ten");
        usageError("unexpected argument 'train'", "train");
        usageError("--help takes no value", "--help=yes");
        usageError("--seed is given twice", "--seed", "1", "--seed=2");
    }

    @Test
    void outOfRangeValuesAreUsageErrors() {
        usageError("--epochs must be between 1 and 100000, got 0", "--epochs", "0");
        usageError("--batch-size must be between 1", "--batch-size=-5");
        usageError("--lr must be in (0.0, 10.0], got -0.1", "--lr", "-0.1");
        usageError("--lr must be in (0.0, 10.0], got NaN", "--lr", "NaN");
        usageError("--momentum must be in [0.0, ", "--momentum", "1");
        usageError("--weight-decay must be in [0.0, 1.0]", "--weight-decay", "-1e-4");
        usageError("--hidden widths must be between 1 and 65536, got 0", "--hidden", "128,0");
        usageError("--hidden takes widths separated by commas", "--hidden", "128;64");
        usageError("--optimizer must be one of sgd, momentum, nesterov, adam, adamw, got 'rmsprop'",
                "--optimizer", "rmsprop");
        usageError("--activation: unknown activation 'tanh'", "--activation", "tanh");
        usageError("--backend must be one of native, reference, got 'gpu'", "--backend", "gpu");
        usageError("--threads must be between 1 and 1024", "--threads", "0");
    }

    @Test
    void missingDataNamesTheFileAndHowToFetchIt(@TempDir Path empty) {
        Result r = run("--data", empty.toString(), "--epochs", "1");
        assertEquals(Main.FAILED, r.exit());
        assertTrue(r.err().contains("train-images-idx3-ubyte") && r.err().contains("make data"), r.err());
    }

    @Test
    void aCorruptDataFileIsNamedAndNeverCrashes(@TempDir Path dir) throws IOException {
        for (String name : new String[] {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
            Files.write(dir.resolve(name), new byte[] {0, 0, 8, 3, 0, 0});
        }
        Result r = run("--data", dir.toString());
        assertEquals(Main.FAILED, r.exit());
        assertTrue(r.err().startsWith("error: " + dir.resolve("train-images-idx3-ubyte") + ": dimension sizes"),
                r.err());
    }

    /** In a child JVM, where OpenBLAS has not been loaded yet: pointed at a library that is not there. */
    @Test
    void missingOpenBlasIsAClearErrorWithAWayOut() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dpnn.openblas.path=/nonexistent/libopenblas.so.0",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "--epochs", "1")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(Main.FAILED, p.exitValue(), out);
        assertTrue(out.startsWith("error: Could not load OpenBLAS: -Dpnn.openblas.path=/nonexistent/libopenblas.so.0"),
                out);
        assertTrue(out.contains("apt-get install libopenblas0") && out.contains("--backend reference"), out);
    }

    @Test
    void optionsBuildTheModelAndTheConfig() throws Options.UsageException {
        Options o = Options.parse("--hidden=300,100", "--activation", "sigmoid", "--optimizer", "adamw",
                "--weight-decay", "0.01", "--schedule", "step", "--epochs", "4");
        assertEquals("784-300-100-10", o.model(784, 10).widths());
        assertEquals("adamw, weight decay 0.01", o.config().optimizer().toString());
        assertEquals(LrSchedule.stepDecay(0.001, 3, 0.5), o.config().schedule());
        assertEquals(4, o.config().epochs());
        Options mse = Options.parse("--loss", "mse", "--hidden", "none");
        assertEquals("784-10 (Linear(784, 10), Sigmoid)", mse.model(784, 10).toString());
    }

    @Test
    void trainsOneEpochOnMnistAndWritesTheHistory(@TempDir Path tmp) throws IOException {
        Path history = tmp.resolve("history.json");
        Path data = Path.of(System.getProperty("pnn.mnist.dir", "../data/mnist"));
        Result r = run("--data", data.toString(), "--epochs", "1", "--history", history.toString());
        assertEquals(Main.OK, r.exit(), r.err());
        assertTrue(r.out().contains("model    784-128-64-10"), r.out());
        assertTrue(r.out().matches("(?s).*epoch  1/1  loss \\d\\.\\d{4}  train  \\d\\d\\.\\d\\d%  test  \\d\\d\\.\\d\\d%.*"
                + "samples/s  elapsed .*"), r.out());
        String json = Files.readString(history);
        assertTrue(json.startsWith("{\"epochs\": [\n  {\"epoch\": 1, \"train_loss\": "), json);
        for (String key : new String[] {"train_accuracy", "test_loss", "test_accuracy", "samples_per_second",
                "seconds"}) {
            assertTrue(json.contains("\"" + key + "\": "), json);
        }
        double accuracy = Double.parseDouble(r.out().replaceAll("(?s).*test accuracy: ([0-9.]+)%.*", "$1"));
        assertTrue(accuracy > 90, r.out());
    }
}
