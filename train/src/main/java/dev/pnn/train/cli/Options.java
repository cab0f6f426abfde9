package dev.pnn.train.cli;

import static dev.pnn.train.fit.TrainingConfig.DEFAULT_BATCH_SIZE;
import static dev.pnn.train.fit.TrainingConfig.DEFAULT_EPOCHS;
import static dev.pnn.train.fit.TrainingConfig.DEFAULT_EVAL_BATCH_SIZE;
import static dev.pnn.train.fit.TrainingConfig.DEFAULT_LR;
import static dev.pnn.train.fit.TrainingConfig.DEFAULT_MOMENTUM;
import static dev.pnn.train.fit.TrainingConfig.DEFAULT_SEED;
import static dev.pnn.train.fit.TrainingConfig.DEFAULT_WEIGHT_DECAY;

import dev.pnn.train.data.Normalization;
import dev.pnn.train.fit.TrainingConfig;
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

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The command line of {@code pnn-train.jar}, parsed and range-checked. Every option takes
 * {@code --name value} or {@code --name=value}.
 */
record Options(int epochs, int batchSize, double lr, String optimizer, double momentum, double weightDecay,
               String schedule, List<Integer> hidden, Activation activation, String loss, Init init, long seed,
               int threads, Path data, String backend, Path history, Path save, int evalBatchSize,
               boolean normalize, boolean help) {

    // Defaults of the command line alone; the training run's come from TrainingConfig.
    static final String DEFAULT_DATA = "data/mnist";
    static final String DEFAULT_HIDDEN = Model.MNIST_HIDDEN.stream().map(String::valueOf)
            .collect(java.util.stream.Collectors.joining(","));
    static final int DEFAULT_THREADS = 1;
    static final Normalization NORMALIZATION = TrainingConfig.defaults().normalization();

    static final String USAGE = String.format(Locale.ROOT, """
            Usage: java --enable-native-access=ALL-UNNAMED -jar pnn-train.jar [options]
                   make train ARGS='[options]'

            Trains a multilayer perceptron on MNIST and prints the test accuracy.

              --data DIR            folder with the four MNIST IDX files, raw or .gz   [%s]
              --epochs N            passes over the 60,000 training images             [%d]
              --batch-size N        examples per step                                  [%d]
              --lr X                initial learning rate                              [%s; adam: %s]
              --optimizer NAME      sgd | momentum | nesterov | adam | adamw           [momentum]
              --momentum X          momentum of momentum/nesterov, in [0, 1)           [%s]
              --weight-decay X      L2 weight decay (decoupled for adamw)              [%s]
              --schedule NAME       constant | step (x0.5 every 3 epochs) | cosine     [cosine]
              --hidden W,W,...      hidden layer widths; 'none' for a linear model     [%s]
              --activation NAME     relu | sigmoid                                     [relu]
              --loss NAME           nll (LogSoftMax output) | mse (sigmoid output)     [nll]
              --init NAME           pytorch (uniform +-1/sqrt(fan_in)) | he (normal)   [%s]
              --seed N              seeds initial weights and shuffling                [%d]
              --threads N           OpenBLAS threads (native backend)                  [%d]
                                    (one is fastest at batch 64; more help from 256 on)
              --backend NAME        native | reference (pure Java, slow)               [native]
              --history FILE        write per-epoch statistics as JSON to FILE
              --save FILE           write the trained parameters to FILE (ParameterFile.load reads it)
              --eval-batch-size N   examples per evaluation batch                      [%d]
              --no-normalize        scale pixels to [0, 1] only, without MNIST's mean and std (%s, %s)
              --help                print this and exit
            """, DEFAULT_DATA, DEFAULT_EPOCHS, DEFAULT_BATCH_SIZE, number(DEFAULT_LR), number(Adam.DEFAULT_LR),
            number(DEFAULT_MOMENTUM), number(DEFAULT_WEIGHT_DECAY), DEFAULT_HIDDEN, Init.PYTORCH_DEFAULT, DEFAULT_SEED,
            DEFAULT_THREADS, DEFAULT_EVAL_BATCH_SIZE, number(NORMALIZATION.mean()), number(NORMALIZATION.std()));

    private static String number(double v) {
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toString();
    }


    /** Every option, and whether it takes a value. */
    static final Map<String, Boolean> KNOWN = new LinkedHashMap<>();

    static {
        for (String name : List.of("data", "epochs", "batch-size", "lr", "optimizer", "momentum", "weight-decay",
                "schedule", "hidden", "activation", "loss", "init", "seed", "threads", "backend", "history", "save",
                "eval-batch-size")) {
            KNOWN.put(name, true); // takes a value
        }
        KNOWN.put("no-normalize", false);
        KNOWN.put("help", false);
    }

    /** Thrown for a command line that cannot be run; the message says what is wrong. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    static Options parse(String... args) throws UsageException {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new UsageException("unexpected argument '" + arg + "': options start with --");
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Boolean takesValue = KNOWN.get(name);
            if (takesValue == null) {
                throw new UsageException("unknown option --" + name);
            }
            if (takesValue && value == null) {
                if (i + 1 >= args.length) {
                    throw new UsageException("--" + name + " needs a value");
                }
                value = args[++i];
            } else if (!takesValue && value != null) {
                throw new UsageException("--" + name + " takes no value");
            }
            if (values.put(name, value == null ? "" : value) != null) {
                throw new UsageException("--" + name + " is given twice");
            }
        }
        if (values.containsKey("help")) {
            return defaults(true);
        }
        String optimizer = choice(values, "optimizer", "momentum", "sgd", "momentum", "nesterov", "adam", "adamw");
        boolean adam = optimizer.startsWith("adam");
        return new Options(
                intIn(values, "epochs", DEFAULT_EPOCHS, 1, 100_000),
                intIn(values, "batch-size", DEFAULT_BATCH_SIZE, 1, 1 << 20),
                doubleIn(values, "lr", adam ? Adam.DEFAULT_LR : DEFAULT_LR, 0, false, 10),
                optimizer,
                doubleIn(values, "momentum", DEFAULT_MOMENTUM, 0, true, 1 - 1e-9),
                doubleIn(values, "weight-decay", DEFAULT_WEIGHT_DECAY, 0, true, 1),
                choice(values, "schedule", "cosine", "constant", "step", "cosine"),
                hidden(values.getOrDefault("hidden", DEFAULT_HIDDEN)),
                parseWith("activation", values.getOrDefault("activation", "relu"), Activation::parse),
                choice(values, "loss", "nll", "nll", "mse"),
                parseWith("init", values.getOrDefault("init", Init.PYTORCH_DEFAULT.toString()), Init::parse),
                longValue(values, "seed", DEFAULT_SEED),
                intIn(values, "threads", DEFAULT_THREADS, 1, 1024),
                Path.of(values.getOrDefault("data", DEFAULT_DATA)),
                choice(values, "backend", "native", "native", "reference"),
                values.containsKey("history") ? Path.of(values.get("history")) : null,
                values.containsKey("save") ? Path.of(values.get("save")) : null,
                intIn(values, "eval-batch-size", DEFAULT_EVAL_BATCH_SIZE, 1, 1 << 20),
                !values.containsKey("no-normalize"),
                false);
    }

    private static Options defaults(boolean help) throws UsageException {
        Options o = parse();
        return new Options(o.epochs, o.batchSize, o.lr, o.optimizer, o.momentum, o.weightDecay, o.schedule, o.hidden,
                o.activation, o.loss, o.init, o.seed, o.threads, o.data, o.backend, o.history, o.save, o.evalBatchSize,
                o.normalize, help);
    }

    /** The model: hidden Linear+activation layers, then Linear to 10 and LogSoftMax (nll) or Sigmoid (mse). */
    Model model(int inputs, int classes) {
        if (loss.equals("nll")) {
            return Model.mlp(inputs, hidden, classes, activation);
        }
        List<Layer> layers = new ArrayList<>(Model.mlp(inputs, hidden, classes, activation).layers());
        layers.set(layers.size() - 1, new Sigmoid());
        return new Model(inputs, layers);
    }

    Loss lossFunction() {
        return loss.equals("nll") ? Loss.nll() : Loss.mse();
    }

    Optimizer optimizerValue() {
        return switch (optimizer) {
            case "sgd" -> Sgd.plain().withWeightDecay(weightDecay);
            case "momentum" -> Sgd.momentum(momentum).withWeightDecay(weightDecay);
            case "nesterov" -> Sgd.nesterov(momentum).withWeightDecay(weightDecay);
            case "adam" -> Adam.defaults().withWeightDecay(weightDecay);
            case "adamw" -> Adam.adamW(weightDecay);
            default -> throw new IllegalStateException(optimizer);
        };
    }

    LrSchedule scheduleValue() {
        return switch (schedule) {
            case "constant" -> LrSchedule.constant(lr);
            case "step" -> LrSchedule.stepDecay(lr, 3, 0.5);
            case "cosine" -> LrSchedule.cosine(lr, 0);
            default -> throw new IllegalStateException(schedule);
        };
    }

    TrainingConfig config() {
        return new TrainingConfig(epochs, batchSize, optimizerValue(), scheduleValue(), lossFunction(),
                normalize ? NORMALIZATION : Normalization.NONE, seed, evalBatchSize);
    }

    // ---- parsing helpers -----------------------------------------------------------------------

    private static int intIn(Map<String, String> values, String name, int dflt, int min, int max)
            throws UsageException {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min || n > max) {
                throw new UsageException("--" + name + " must be between " + min + " and " + max + ", got " + v);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " takes a whole number, got '" + v + "'");
        }
    }

    private static long longValue(Map<String, String> values, String name, long dflt) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " takes a whole number, got '" + v + "'");
        }
    }

    /** A finite number in (min, max] or [min, max]. */
    private static double doubleIn(Map<String, String> values, String name, double dflt, double min,
                                   boolean minIncluded, double max) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        double x;
        try {
            x = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " takes a number, got '" + v + "'");
        }
        if (!Double.isFinite(x) || (minIncluded ? x < min : x <= min) || x > max) {
            throw new UsageException("--" + name + " must be in " + (minIncluded ? "[" : "(") + min + ", " + max
                    + "], got " + v);
        }
        return x;
    }

    private static String choice(Map<String, String> values, String name, String dflt, String... allowed)
            throws UsageException {
        String v = values.getOrDefault(name, dflt).toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(v)) {
                return a;
            }
        }
        throw new UsageException("--" + name + " must be one of " + String.join(", ", allowed) + ", got '"
                + values.get(name) + "'");
    }

    private interface Parser<T> {
        T parse(String s);
    }

    private static <T> T parseWith(String name, String value, Parser<T> parser) throws UsageException {
        try {
            return parser.parse(value);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + name + ": " + e.getMessage());
        }
    }

    private static List<Integer> hidden(String spec) throws UsageException {
        if (spec.equalsIgnoreCase("none")) {
            return List.of();
        }
        List<Integer> widths = new ArrayList<>();
        for (String part : spec.split(",", -1)) {
            try {
                int w = Integer.parseInt(part.trim());
                if (w < 1 || w > 1 << 16) {
                    throw new UsageException("--hidden widths must be between 1 and 65536, got " + w);
                }
                widths.add(w);
            } catch (NumberFormatException e) {
                throw new UsageException("--hidden takes widths separated by commas (e.g. 128,64), got '" + spec + "'");
            }
        }
        return widths;
    }
}
