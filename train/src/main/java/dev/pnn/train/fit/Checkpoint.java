package dev.pnn.train.fit;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import dev.pnn.tensor.Tensor;
import dev.pnn.train.io.ModelFile;
import dev.pnn.train.io.ModelFileException;
import dev.pnn.train.io.ModelInfo;
import dev.pnn.train.optim.OptimizerState;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where a training run stands, to continue it bit for bit: a model file (the parameters) with
 * the optimizer's buffers as extra arrays ({@code state.optimizer.0}, ...) and a
 * {@code checkpoint.json} entry holding the epoch and step reached, the optimizer's step count,
 * the running loss and accuracy sums of the epoch in progress, the epochs finished, and the
 * run's settings. The learning rate schedule's position follows from the epoch and step, and
 * the shuffle of every epoch from the seed and the epoch, so nothing else is needed.
 *
 * @param epoch          the epoch in progress, from 0
 * @param step           steps done in it
 * @param optimizerSteps the optimizer's step count
 * @param lossSum        the epoch's summed training loss so far (loss times rows, per batch)
 * @param correct        the epoch's correctly classified training examples so far
 * @param history        the epochs finished
 * @param settings       the run's settings other than its length; a resumed run must have the same
 * @param file           the file this checkpoint was read from, or null
 */
public record Checkpoint(int epoch, int step, long optimizerSteps, double lossSum, long correct,
                         List<EpochStats> history, String settings, Path file) {

    /** The entry holding the run's position. */
    public static final String JSON = "checkpoint.json";
    private static final String OPTIMIZER = ModelFile.STATE_PREFIX + "optimizer.";

    public Checkpoint {
        history = List.copyOf(history);
    }

    /** A run's settings as a checkpoint records them: everything but the number of epochs. */
    public static String settings(TrainingConfig c) {
        return String.format(Locale.ROOT, "batch %d, %s, lr %s, loss %s, %s, seed %d", c.batchSize(), c.optimizer(),
                c.schedule(), c.loss(), c.normalization(), c.seed()) + (c.shards() == 1 ? "" : ", shards " + c.shards());
    }

    /** Writes this checkpoint of {@code run} to {@code file}, atomically. */
    public void save(Path file, TrainingRun run, ModelInfo info) throws IOException {
        OptimizerState state = run.optimizerState();
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        for (int i = 0; i < state.bufferCount(); i++) {
            arrays.put(OPTIMIZER + i, state.buffer(i));
        }
        ModelFile.save(file, run.network().parameters(), info, arrays, Map.of(JSON, toJson()));
    }

    String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("epoch", epoch);
        o.addProperty("step", step);
        o.addProperty("optimizer_steps", optimizerSteps);
        o.addProperty("loss_sum", lossSum);
        o.addProperty("correct", correct);
        o.addProperty("settings", settings);
        JsonArray h = new JsonArray();
        for (EpochStats e : history) {
            JsonObject s = new JsonObject();
            s.addProperty("epoch", e.epoch());
            s.addProperty("train_loss", e.trainLoss());
            s.addProperty("train_accuracy", e.trainAccuracy());
            s.addProperty("validation_loss", e.validationLoss());
            s.addProperty("validation_accuracy", e.validationAccuracy());
            s.addProperty("test_loss", e.testLoss());
            s.addProperty("test_accuracy", e.testAccuracy());
            s.addProperty("samples_per_second", e.samplesPerSecond());
            s.addProperty("seconds", e.seconds());
            h.add(s);
        }
        o.add("history", h);
        return o.toString();
    }

    /**
     * The checkpoint in {@code file} (its position and settings; the parameters load with
     * {@link ModelFile#load}).
     *
     * @throws ModelFileException when the file is no checkpoint or its entry is malformed
     */
    public static Checkpoint read(Path file) throws IOException {
        String json = ModelFile.json(file, JSON);
        try {
            JsonObject o = JsonParser.parseString(json).getAsJsonObject();
            List<EpochStats> history = new ArrayList<>();
            for (JsonElement e : o.getAsJsonArray("history")) {
                JsonObject s = e.getAsJsonObject();
                history.add(new EpochStats(s.get("epoch").getAsInt(), s.get("train_loss").getAsDouble(),
                        s.get("train_accuracy").getAsDouble(), number(s.get("validation_loss")),
                        number(s.get("validation_accuracy")), s.get("test_loss").getAsDouble(),
                        s.get("test_accuracy").getAsDouble(), s.get("samples_per_second").getAsDouble(),
                        s.get("seconds").getAsDouble()));
            }
            return new Checkpoint(o.get("epoch").getAsInt(), o.get("step").getAsInt(),
                    o.get("optimizer_steps").getAsLong(), o.get("loss_sum").getAsDouble(), o.get("correct").getAsLong(),
                    history, o.get("settings").getAsString(), file);
        } catch (JsonParseException | IllegalStateException | NullPointerException | UnsupportedOperationException e) {
            throw new ModelFileException(file, JSON, "epoch, step, optimizer_steps, loss_sum, correct, settings and "
                    + "history", "a malformed entry (" + e + ")", e);
        }
    }

    /** A number as Gson writes it; NaN (written as the string "NaN") comes back as NaN. */
    private static double number(JsonElement e) {
        return e == null || e.isJsonNull() ? Double.NaN : e.getAsDouble();
    }

    /** Copies the optimizer's buffers and step count from {@link #file()} into {@code state}. */
    void restoreOptimizer(OptimizerState state) throws IOException {
        for (int i = 0; i < state.bufferCount(); i++) {
            ModelFile.readArray(file, OPTIMIZER + i, state.buffer(i));
        }
        state.restoreSteps(optimizerSteps);
    }

    /** The file name of a checkpoint after {@code globalStep} steps; names sort in the order of the run. */
    public static String fileName(long globalStep) {
        return String.format(Locale.ROOT, "checkpoint-%09d.npz", globalStep);
    }

    /** The newest checkpoint in {@code dir} (by its name), or null when there is none. */
    public static Path newest(Path dir) throws IOException {
        List<Path> all = list(dir);
        return all.isEmpty() ? null : all.getLast();
    }

    /** The checkpoints in {@code dir}, oldest first. */
    static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("checkpoint-\\d{9}\\.npz")).sorted().toList();
        }
    }
}
