package dev.pnn.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.Pinning;
import dev.pnn.train.model.Activation;
import dev.pnn.train.model.Model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

class EpochBenchmarkTest {

    private static final Path DATA = Path.of(System.getProperty("pnn.mnist.dir", "../data/mnist"));

    /** 2 x (784x128 + 128x64 + 64x10) forward and weight-gradient products, input gradients past the first layer. */
    @Test
    void anEpochOfTheDefaultModelIs27Point26Gflop() {
        int[][] layers = EpochBenchmark.linearShapes(Model.mnist());
        assertEquals(List.of("784x128", "128x64", "64x10"),
                java.util.Arrays.stream(layers).map(l -> l[0] + "x" + l[1]).toList());
        double perSample = 2.0 * (784 * 128 + 128 * 64 + 64 * 10) * 2 + 2.0 * (128 * 64 + 64 * 10);
        assertEquals(perSample * 60_000, EpochBenchmark.epochFlops(layers, 60_000), 1e-3);
        assertEquals(27.26, EpochBenchmark.epochFlops(layers, 60_000) / 1e9, 0.005);
        int[][] small = EpochBenchmark.linearShapes(Model.mlp(784, List.of(16), 10, Activation.RELU));
        assertEquals(2, small.length);
    }

    /** A short run on real MNIST writes every field the JSON promises, each consistent with the others. */
    @Test
    void aRunWritesEveryFieldConsistently(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("epoch.json");
        int exit = new CommandLine(new EpochBenchmark()).execute("--data", DATA.toString(), "--hidden", "16",
                "--batch-size", "256", "--epochs", "5", "--warmup", "0", "--json", json.toString());
        assertEquals(0, exit);
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        for (String field : List.of("epoch_median_s", "epoch_min_s", "sgemm_bound_median_s", "flop_limit_s",
                "ratio_to_sgemm_bound", "ratio_to_flop_limit", "samples_per_second", "threads", "batch_size", "blas")) {
            assertTrue(o.has(field), field + " missing from " + o);
        }
        double median = o.get("epoch_median_s").getAsDouble();
        assertTrue(median > 0 && o.get("epoch_min_s").getAsDouble() <= median, o.toString());
        assertEquals(median / o.get("sgemm_bound_median_s").getAsDouble(), o.get("ratio_to_sgemm_bound").getAsDouble(),
                1e-9);
        assertEquals(median / o.get("flop_limit_s").getAsDouble(), o.get("ratio_to_flop_limit").getAsDouble(), 1e-9);
        assertEquals(60_000 / median, o.get("samples_per_second").getAsDouble(), 1e-6);
        assertEquals(256, o.get("batch_size").getAsInt());
        assertEquals(1, o.get("threads").getAsInt());
        assertEquals(System.getProperty("pnn.blas", "openblas"), o.get("blas").getAsString());
        assertEquals(5, o.get("epochs").getAsInt());
        assertEquals(0, o.get("warmup").getAsInt());
        assertEquals("momentum", o.get("optimizer").getAsString());
        assertTrue(o.get("sgemm_bound_median_s").getAsDouble() > 0 && o.get("flop_limit_s").getAsDouble() > 0,
                o.toString());
        assertRoundsAgree(o, 5);
        assertFalse(o.has("round_trip_median_ns"), "one thread has no round trip: " + o);
    }

    /** On two threads each round also times the round trip between them, and the JSON has it. */
    @Test
    void twoThreadsTimeTheRoundTripBetweenThem(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("epoch.json");
        int exit = new CommandLine(new EpochBenchmark()).execute("--data", DATA.toString(), "--hidden", "16",
                "--batch-size", "256", "--threads", "2", "--epochs", "5", "--warmup", "0", "--optimizer", "sgd",
                "--json", json.toString());
        assertEquals(0, exit);
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals(2, o.get("threads").getAsInt());
        JsonArray rounds = assertRoundsAgree(o, 5);
        List<Double> trips = new ArrayList<>();
        for (JsonElement r : rounds) {
            double t = r.getAsJsonObject().get("round_trip_ns").getAsDouble();
            // a store seen by another core and answered takes tens of nanoseconds at the least
            assertTrue(t > 10 && t < 1e7, "round trip " + t + " ns in " + o);
            trips.add(t);
        }
        assertEquals(EpochBenchmark.median(trips), o.get("round_trip_median_ns").getAsDouble(), 0.0);
        assertEquals(0, o.getAsJsonArray("pinned_cpus").size(), o.toString());
    }

    /**
     * With {@code --pin-threads} the JSON names the shards' CPUs, and the measurements' own
     * threads are not caught on the pinned caller's CPU: two threads on one CPU take turns by the
     * scheduler's time slices, milliseconds a round trip (and minutes a round: the timeout).
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void pinnedThreadsAreNamedAndTheMeasurementsStillUseBothCpus(@TempDir Path dir) throws Exception {
        String old = System.getProperty(Pinning.PROPERTY);
        try {
            Path json = dir.resolve("epoch.json");
            CommandLine cli = new CommandLine(new EpochBenchmark());
            cli.setErr(new java.io.PrintWriter(java.io.Writer.nullWriter()));
            int exit = cli.execute("--data", DATA.toString(), "--hidden", "16", "--batch-size", "256", "--threads",
                    "2", "--epochs", "5", "--warmup", "0", "--optimizer", "sgd", "--pin-threads", "--json",
                    json.toString());
            if (!Pinning.supported() || Runtime.getRuntime().availableProcessors() < 2) {
                assertEquals(1, exit, "pinning two threads where it cannot be done");
                return;
            }
            assertEquals(0, exit);
            JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
            List<Integer> cpus = new ArrayList<>();
            o.getAsJsonArray("pinned_cpus").forEach(c -> cpus.add(c.getAsInt()));
            assertEquals(Pinning.firstAllowed().cpusFor(2), cpus, o.toString());
            assertTrue(o.get("configuration").getAsString().endsWith(", pinned to CPUs " + cpus.get(0) + ", "
                    + cpus.get(1)), o.toString());
            for (JsonElement r : assertRoundsAgree(o, 5)) {
                double t = r.getAsJsonObject().get("round_trip_ns").getAsDouble();
                assertTrue(t > 10 && t < 1e6, "round trip " + t + " ns in " + o);
            }
        } finally {
            if (old == null) {
                System.clearProperty(Pinning.PROPERTY);
            } else {
                System.setProperty(Pinning.PROPERTY, old);
            }
        }
    }

    /** The per-round figures: {@code count} rounds, whose medians are the run's. */
    private static JsonArray assertRoundsAgree(JsonObject o, int count) {
        JsonArray rounds = o.getAsJsonArray("rounds");
        assertEquals(count, rounds.size(), o.toString());
        List<Double> epochs = new ArrayList<>();
        List<Double> bounds = new ArrayList<>();
        List<Double> limits = new ArrayList<>();
        for (JsonElement r : rounds) {
            JsonObject round = r.getAsJsonObject();
            epochs.add(round.get("epoch_s").getAsDouble());
            bounds.add(round.get("sgemm_bound_s").getAsDouble());
            limits.add(round.get("flop_limit_s").getAsDouble());
        }
        assertEquals(o.get("epoch_median_s").getAsDouble(), EpochBenchmark.median(epochs), 0.0);
        assertEquals(o.get("epoch_min_s").getAsDouble(), EpochBenchmark.min(epochs), 0.0);
        assertEquals(o.get("sgemm_bound_median_s").getAsDouble(), EpochBenchmark.median(bounds), 0.0);
        // the limit is the epoch's FLOP at the median rate: with an odd count, the median round's limit
        double limit = o.get("flop_limit_s").getAsDouble();
        assertEquals(limit, EpochBenchmark.median(limits), limit * 1e-12);
        return rounds;
    }

    @Test
    void badOptionsAreUsageErrors() {
        CommandLine cli = new CommandLine(new EpochBenchmark());
        cli.setErr(new java.io.PrintWriter(java.io.Writer.nullWriter()));
        assertEquals(2, cli.execute("--epochs", "3"));
        assertEquals(2, cli.execute("--parallel", "both"));
        assertEquals(2, cli.execute("--peer", "jax"));
        assertEquals(2, cli.execute("--optimizer", "adam"));
        assertEquals(2, cli.execute("--warmup", "-1"));
    }
}
