package dev.pnn.train.cli;

import static dev.pnn.train.fit.TrainingConfig.DEFAULT_BATCH_SIZE;
import static dev.pnn.train.fit.TrainingConfig.DEFAULT_EPOCHS;
import static dev.pnn.train.fit.TrainingConfig.DEFAULT_EVAL_BATCH_SIZE;
import static dev.pnn.train.fit.TrainingConfig.DEFAULT_LR;
import static dev.pnn.train.fit.TrainingConfig.DEFAULT_MOMENTUM;
import static dev.pnn.train.fit.TrainingConfig.DEFAULT_SEED;
import static dev.pnn.train.fit.TrainingConfig.DEFAULT_WEIGHT_DECAY;

import dev.pnn.tensor.Backend;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.Network;
import dev.pnn.train.fit.Checkpoint;
import dev.pnn.train.fit.Checkpointer;
import dev.pnn.train.fit.EpochStats;
import dev.pnn.train.fit.History;
import dev.pnn.train.fit.Trainer;
import dev.pnn.train.fit.TrainingConfig;
import dev.pnn.train.fit.TrainingListener;
import dev.pnn.train.fit.TrainingRun;
import dev.pnn.train.io.AtomicFiles;
import dev.pnn.train.io.ModelFile;
import dev.pnn.train.io.ModelInfo;
import dev.pnn.train.model.Activation;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Layer;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.model.Sigmoid;
import dev.pnn.train.optim.Adam;
import dev.pnn.train.optim.LrSchedule;
import dev.pnn.train.optim.Optimizer;
import dev.pnn.train.optim.Sgd;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pnn train}: trains a multilayer perceptron on MNIST and prints the test accuracy. */
@Command(name = "train", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Trains a multilayer perceptron on MNIST (or any data in its IDX layout) and prints the test "
                + "accuracy.", sortOptions = false)
final class TrainCommand implements Callable<Integer> {

    /** The lowest learning rate that still moves float32 weights. */
    static final double MIN_LR = 1e-10;
    static final double MAX_LR = 10;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    DataOption data;

    @Option(names = "--epochs", defaultValue = "" + DEFAULT_EPOCHS, paramLabel = "N",
            description = "passes over the training set (the total, when resuming)  [default: ${DEFAULT-VALUE}]")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "" + DEFAULT_BATCH_SIZE, paramLabel = "N",
            description = "examples per step  [default: ${DEFAULT-VALUE}]")
    int batchSize;

    @Option(names = "--lr", paramLabel = "X",
            description = "initial learning rate  [default: " + DEFAULT_LR + "; adam, adamw: " + Adam.DEFAULT_LR + "]")
    Double lr;

    @Option(names = "--optimizer", defaultValue = "momentum", paramLabel = "NAME",
            description = "sgd | momentum | nesterov | adam | adamw  [default: ${DEFAULT-VALUE}]")
    String optimizer;

    @Option(names = "--momentum", defaultValue = "" + DEFAULT_MOMENTUM, paramLabel = "X",
            description = "momentum of momentum and nesterov, in [0, 1)  [default: ${DEFAULT-VALUE}]")
    double momentum;

    @Option(names = "--weight-decay", defaultValue = "" + DEFAULT_WEIGHT_DECAY, paramLabel = "X",
            description = "L2 weight decay (decoupled for adamw)  [default: ${DEFAULT-VALUE}]")
    double weightDecay;

    @Option(names = "--schedule", defaultValue = "cosine", paramLabel = "NAME",
            description = "constant | step (x0.5 every 3 epochs) | cosine (to 0)  [default: ${DEFAULT-VALUE}]")
    String schedule;

    @Option(names = "--hidden", defaultValue = "128,64", paramLabel = "W,W,...",
            description = "hidden layer widths; 'none' for a linear model  [default: ${DEFAULT-VALUE}]")
    String hidden;

    @Option(names = "--activation", defaultValue = "relu", paramLabel = "NAME",
            description = "relu | sigmoid  [default: ${DEFAULT-VALUE}]")
    String activation;

    @Option(names = "--loss", defaultValue = "nll", paramLabel = "NAME",
            description = "nll (LogSoftMax output) | mse (sigmoid output)  [default: ${DEFAULT-VALUE}]")
    String loss;

    @Option(names = "--init", defaultValue = "pytorch", paramLabel = "NAME",
            description = "pytorch (uniform +-1/sqrt(fan_in)) | he (normal)  [default: ${DEFAULT-VALUE}]")
    String init;

    @Option(names = "--seed", defaultValue = "" + DEFAULT_SEED, paramLabel = "N",
            description = "seeds the initial weights and the shuffles  [default: ${DEFAULT-VALUE}]")
    long seed;

    @Option(names = "--eval-batch-size", defaultValue = "" + DEFAULT_EVAL_BATCH_SIZE, paramLabel = "N",
            description = "examples per evaluation batch  [default: ${DEFAULT-VALUE}]")
    int evalBatchSize;

    @Option(names = "--no-normalize",
            description = "scale pixels to [0, 1] only, without MNIST's mean and std (0.1307, 0.3081)")
    boolean noNormalize;

    @Option(names = "--save", paramLabel = "FILE",
            description = "write the trained model to FILE (.npz: numpy and PyTorch open it)")
    Path save;

    @Option(names = "--history", paramLabel = "FILE", description = "write per-epoch statistics as JSON to FILE")
    Path history;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR",
            description = "write a checkpoint into DIR at the end of every epoch (created if missing)")
    Path checkpointDir;

    @Option(names = "--checkpoint-every", defaultValue = "0", paramLabel = "N",
            description = "also write one every N steps (with --checkpoint-dir)  [default: ${DEFAULT-VALUE}: off]")
    int checkpointEvery;

    @Option(names = "--keep-checkpoints", defaultValue = "3", paramLabel = "N",
            description = "how many checkpoints to keep  [default: ${DEFAULT-VALUE}]")
    int keepCheckpoints;

    @Option(names = "--resume", paramLabel = "FILE",
            description = "continue the run that wrote the checkpoint FILE (or the newest in a folder)")
    Path resume;

    @Mixin
    BackendOptions backendOptions;

    @Override
    public Integer call() throws IOException {
        TrainingConfig config = config();
        List<Integer> widths = widths();
        checkOutputs();
        Backend backend = backendOptions.open(spec.commandLine());
        Path checkpoint = resume == null ? null : Files.isDirectory(resume) ? Checkpoint.newest(resume) : resume;
        if (resume != null && checkpoint == null) {
            throw new IOException(resume + ": expected a checkpoint (checkpoint-*.npz) in the folder, found none");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Arena arena = Arena.ofShared()) {
            Mnist mnist = Mnist.load(data.dir, arena);
            Model model = model(mnist.train().features(), mnist.train().classes(), widths);
            ModelInfo info = info(config, mnist.train().classes(), Double.NaN);
            Checkpoint from = checkpoint == null ? null : Checkpoint.read(checkpoint);
            try (Network net = checkpoint == null ? Network.create(model, backend, initScheme(), seed)
                    : ModelFile.load(checkpoint, backend).network()) {
                if (!net.model().equals(model)) {
                    throw new IllegalArgumentException("the checkpoint " + checkpoint + " holds model "
                            + net.model().widths() + ", the options describe " + model.widths());
                }
                out.printf(Locale.ROOT, "model    %s, %,d parameters, init %s, seed %d%n", model,
                        model.parameterCount(), initScheme(), seed);
                out.printf(Locale.ROOT, "backend  %s%n", BackendOptions.describe(backend));
                out.printf(Locale.ROOT, "data     %s: %,d training and %,d test images, %s%n", data.dir,
                        mnist.train().size(), mnist.test().size(), config.normalization());
                out.printf(Locale.ROOT, "training %d epochs, batch %d, %s, lr %s, loss %s%n", config.epochs(),
                        config.batchSize(), config.optimizer(), config.schedule(), config.loss());
                if (from != null) {
                    out.printf(Locale.ROOT, "resuming from %s: epoch %d, step %d%n", checkpoint, from.epoch() + 1,
                            from.step());
                }
                TrainingListener listener = listener(out, config, info);
                History h = from == null ? Trainer.fit(net, mnist.train(), mnist.test(), config, listener)
                        : Trainer.resume(from, net, mnist.train(), mnist.test(), config, listener);
                if (save != null) {
                    ModelFile.save(save, net, info(config, mnist.train().classes(), h.last().testAccuracy()));
                }
                if (history != null) {
                    AtomicFiles.write(history, o -> o.write(h.toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                }
                out.printf(Locale.ROOT, "test accuracy: %.2f%%%n", h.last().testAccuracy());
            }
        }
        return Main.OK;
    }

    private TrainingListener listener(PrintWriter out, TrainingConfig config, ModelInfo info) {
        TrainingListener checkpoints = checkpointDir == null ? null
                : new Checkpointer(checkpointDir, checkpointEvery, keepCheckpoints, info);
        double[] elapsed = {0};
        return new TrainingListener() {
            @Override
            public void onStep(TrainingRun run) {
                if (checkpoints != null) {
                    checkpoints.onStep(run);
                }
            }

            @Override
            public void onEpoch(EpochStats e, TrainingRun run) {
                elapsed[0] += e.seconds();
                out.printf(Locale.ROOT, "epoch %2d/%d  loss %.4f  train %6.2f%%  test %6.2f%% (loss %.4f)  %,9.0f "
                                + "samples/s  elapsed %.1f s%n", e.epoch(), config.epochs(), e.trainLoss(),
                        e.trainAccuracy(), e.testAccuracy(), e.testLoss(), e.samplesPerSecond(), elapsed[0]);
                out.flush();
                if (checkpoints != null) {
                    checkpoints.onEpoch(e, run);
                }
            }
        };
    }

    /** Every output is checked before any training: a run never ends in a "cannot write". */
    private void checkOutputs() throws IOException {
        Map<Path, String> seen = new HashMap<>();
        for (Map.Entry<String, Path> o : outputs().entrySet()) {
            Path p = o.getValue().toAbsolutePath().normalize();
            String other = seen.put(p, o.getKey());
            if (other != null) {
                throw usage(o.getKey() + ": expected a file of its own, found the same path as " + other + " ("
                        + o.getValue() + ")");
            }
            AtomicFiles.checkWritable(o.getValue());
        }
        if (checkpointDir != null) {
            if (Files.exists(checkpointDir) && !Files.isDirectory(checkpointDir)) {
                throw new IOException(checkpointDir + ": expected a folder for --checkpoint-dir, found a file");
            }
            Files.createDirectories(checkpointDir);
            AtomicFiles.checkWritable(checkpointDir.resolve(Checkpoint.fileName(0)));
        } else if (checkpointEvery != 0) {
            throw usage("--checkpoint-every: needs --checkpoint-dir");
        }
        if (resume != null && !Files.exists(resume)) {
            throw new java.nio.file.NoSuchFileException(resume.toString(), null, "no such checkpoint (--resume)");
        }
    }

    private Map<String, Path> outputs() {
        Map<String, Path> m = new LinkedHashMap<>();
        if (save != null) {
            m.put("--save", save);
        }
        if (history != null) {
            m.put("--history", history);
        }
        return m;
    }

    TrainingConfig config() {
        checkRange("--epochs", epochs, 1, 100_000);
        checkRange("--batch-size", batchSize, 1, 1 << 20);
        checkRange("--eval-batch-size", evalBatchSize, 1, 1 << 20);
        checkRange("--checkpoint-every", checkpointEvery, 0, Integer.MAX_VALUE);
        checkRange("--keep-checkpoints", keepCheckpoints, 1, 1000);
        String opt = choice("--optimizer", optimizer, "sgd", "momentum", "nesterov", "adam", "adamw");
        double rate = lr != null ? lr : opt.startsWith("adam") ? Adam.DEFAULT_LR : DEFAULT_LR;
        if (!(rate >= MIN_LR && rate <= MAX_LR)) {
            throw usage("--lr: expected a number in [" + MIN_LR + ", " + MAX_LR + "] (smaller steps vanish in float32 "
                    + "weights), found " + rate);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw usage("--momentum: expected a number in [0, 1), found " + momentum);
        }
        if (!(weightDecay >= 0 && weightDecay <= 1)) {
            throw usage("--weight-decay: expected a number in [0, 1], found " + weightDecay);
        }
        Optimizer o = switch (opt) {
            case "sgd" -> Sgd.plain().withWeightDecay(weightDecay);
            case "momentum" -> Sgd.momentum(momentum).withWeightDecay(weightDecay);
            case "nesterov" -> Sgd.nesterov(momentum).withWeightDecay(weightDecay);
            case "adam" -> Adam.defaults().withWeightDecay(weightDecay);
            default -> Adam.adamW(weightDecay);
        };
        LrSchedule s = switch (choice("--schedule", schedule, "constant", "step", "cosine")) {
            case "constant" -> LrSchedule.constant(rate);
            case "step" -> LrSchedule.stepDecay(rate, 3, 0.5);
            default -> LrSchedule.cosine(rate, 0);
        };
        Loss l = choice("--loss", loss, "nll", "mse").equals("nll") ? Loss.nll() : Loss.mse();
        Normalization norm = noNormalize ? Normalization.NONE : TrainingConfig.defaults().normalization();
        return new TrainingConfig(epochs, batchSize, o, s, l, norm, seed, evalBatchSize);
    }

    List<Integer> widths() {
        if (hidden.equalsIgnoreCase("none")) {
            return List.of();
        }
        List<Integer> w = new ArrayList<>();
        for (String part : hidden.split(",", -1)) {
            try {
                int n = Integer.parseInt(part.trim());
                if (n < 1 || n > 1 << 16) {
                    throw usage("--hidden: expected widths from 1 to 65536, found " + n);
                }
                w.add(n);
            } catch (NumberFormatException e) {
                throw usage("--hidden: expected widths separated by commas (e.g. 128,64), found '" + hidden + "'");
            }
        }
        return w;
    }

    /** Hidden Linear+activation layers, then Linear to the classes and LogSoftMax (nll) or Sigmoid (mse). */
    Model model(int inputs, int classes, List<Integer> widths) {
        Activation act;
        try {
            act = Activation.parse(activation);
        } catch (IllegalArgumentException e) {
            throw usage("--activation: " + e.getMessage());
        }
        Model mlp = Model.mlp(inputs, widths, classes, act);
        if (loss.equals("nll")) {
            return mlp;
        }
        List<Layer> layers = new ArrayList<>(mlp.layers());
        layers.set(layers.size() - 1, new Sigmoid());
        return new Model(inputs, layers);
    }

    Init initScheme() {
        try {
            return Init.parse(init);
        } catch (IllegalArgumentException e) {
            throw usage("--init: " + e.getMessage());
        }
    }

    private ModelInfo info(TrainingConfig config, int classes, double accuracy) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("epochs", config.epochs());
        t.put("batch_size", config.batchSize());
        t.put("optimizer", config.optimizer().toString());
        t.put("schedule", config.schedule().toString());
        t.put("loss", config.loss().toString());
        t.put("seed", config.seed());
        t.put("data", data.dir.toString());
        if (!Double.isNaN(accuracy)) {
            t.put("final_accuracy", accuracy);
        }
        List<String> names = IntStream.range(0, classes).mapToObj(Integer::toString).collect(Collectors.toList());
        return new ModelInfo(config.normalization(), names, t);
    }

    private void checkRange(String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw usage(option + ": expected " + min + " to " + max + ", found " + value);
        }
    }

    private String choice(String option, String value, String... allowed) {
        String v = value.toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(v)) {
                return a;
            }
        }
        throw usage(option + ": expected one of " + String.join(", ", allowed) + ", found '" + value + "'");
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
