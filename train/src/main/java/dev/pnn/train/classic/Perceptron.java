package dev.pnn.train.classic;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import dev.pnn.tensor.Rng;
import dev.pnn.train.data.Dataset;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Rosenblatt's perceptron telling two classes of images apart (3s from 7s, by default): one
 * weight per pixel and a bias, {@code score = w . x + b} with pixels scaled to [0, 1], the
 * second class predicted when the score is positive. The classic update: for an example the
 * perceptron gets wrong, or right by less than the margin, move the weights by {@code lr} times
 * the input towards the right side ({@code w += lr y x}, {@code b += lr y}, {@code y = +-1}).
 * With {@code averaged}, the final weights are the average of the weights after every example
 * (Freund and Schapire's averaged perceptron), which generalizes better than the last ones.
 */
public final class Perceptron {

    /**
     * @param epochs   passes over the training examples, {@code >= 1}
     * @param lr       the step, {@code > 0}
     * @param margin   update also when right by less than this, {@code >= 0}
     * @param averaged keep the average of the weights
     * @param seed     seeds the order of every pass
     */
    public record Settings(int epochs, double lr, double margin, boolean averaged, long seed) {
        public Settings {
            if (epochs < 1 || !(lr > 0) || !(margin >= 0)) {
                throw new IllegalArgumentException("perceptron: epochs >= 1, lr > 0 and margin >= 0, got " + epochs
                        + ", " + lr + ", " + margin);
            }
        }

        /** 5 epochs, lr 1, margin 0, averaged, seed 42. */
        public static Settings defaults() {
            return new Settings(5, 1.0, 0, true, 42);
        }
    }

    private final int negative;
    private final int positive;
    private final int side;
    private final float[] weights;
    private final float bias;
    private final int trainingSamples;
    private final Settings settings;

    private Perceptron(int negative, int positive, int side, float[] weights, float bias, int trainingSamples,
                       Settings settings) {
        this.negative = negative;
        this.positive = positive;
        this.side = side;
        this.weights = weights;
        this.bias = bias;
        this.trainingSamples = trainingSamples;
        this.settings = settings;
    }

    /** Trains on the examples of {@code train} whose label is {@code negative} or {@code positive}. */
    public static Perceptron train(Dataset train, int negative, int positive, Settings settings) {
        List<float[]> xs = new ArrayList<>();
        List<Integer> ys = new ArrayList<>();
        collect(train, negative, positive, xs, ys);
        if (xs.isEmpty()) {
            throw new IllegalArgumentException("no training examples of class " + negative + " or " + positive);
        }
        int n = xs.get(0).length;
        double[] w = new double[n];
        double b = 0;
        double[] sum = new double[n];
        double sumB = 0;
        long seen = 0;
        int[] order = new int[xs.size()];
        for (int epoch = 0; epoch < settings.epochs(); epoch++) {
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Rng rng = Rng.of(settings.seed(), epoch);
            for (int i = order.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int k : order) {
                float[] x = xs.get(k);
                int y = ys.get(k);
                double score = b;
                for (int p = 0; p < n; p++) {
                    score += w[p] * x[p];
                }
                if (y * score <= settings.margin()) {
                    for (int p = 0; p < n; p++) {
                        w[p] += settings.lr() * y * x[p];
                    }
                    b += settings.lr() * y;
                }
                for (int p = 0; p < n; p++) {
                    sum[p] += w[p];
                }
                sumB += b;
                seen++;
            }
        }
        float[] out = new float[n];
        for (int p = 0; p < n; p++) {
            out[p] = (float) (settings.averaged() ? sum[p] / seen : w[p]);
        }
        float outB = (float) (settings.averaged() ? sumB / seen : b);
        int side = (int) Math.round(Math.sqrt(n));
        return new Perceptron(negative, positive, side * side == n ? side : n, out, outB, xs.size(), settings);
    }

    private static void collect(Dataset data, int negative, int positive, List<float[]> xs, List<Integer> ys) {
        for (int i = 0; i < data.size(); i++) {
            int label = data.labels().get(i);
            if (label == negative || label == positive) {
                float[] x = new float[data.features()];
                for (int p = 0; p < x.length; p++) {
                    x[p] = data.images().get(i, p) / 255f;
                }
                xs.add(x);
                ys.add(label == positive ? 1 : -1);
            }
        }
    }

    /** {@code w . x + b} for pixels scaled to [0, 1]: positive means the second class. */
    public double score(float[] x) {
        double s = bias;
        for (int p = 0; p < weights.length; p++) {
            s += weights[p] * x[p];
        }
        return s;
    }

    /** The share, in percent, of the examples of the two classes in {@code data} that it classifies right. */
    public double accuracy(Dataset data) {
        List<float[]> xs = new ArrayList<>();
        List<Integer> ys = new ArrayList<>();
        collect(data, negative, positive, xs, ys);
        int right = 0;
        for (int i = 0; i < xs.size(); i++) {
            right += (score(xs.get(i)) > 0 ? 1 : -1) == ys.get(i) ? 1 : 0;
        }
        return 100.0 * right / xs.size();
    }

    /** How many examples of the two classes it was trained on. */
    public int trainingSamples() {
        return trainingSamples;
    }

    public float[] weights() {
        return weights.clone();
    }

    public float bias() {
        return bias;
    }

    /**
     * {@code {"weights": [[28 rows of 28]], "bias": b, "final_accuracy": a, "training_samples": n,
     * "data_type": "MNIST", "learning_rate": lr}}.
     */
    public String toJson(double finalAccuracy) {
        JsonObject o = new JsonObject();
        JsonArray rows = new JsonArray();
        for (int r = 0; r < weights.length / side; r++) {
            JsonArray row = new JsonArray();
            for (int c = 0; c < side; c++) {
                row.add(weights[r * side + c]);
            }
            rows.add(row);
        }
        o.add("weights", rows);
        o.addProperty("bias", bias);
        o.addProperty("final_accuracy", finalAccuracy);
        o.addProperty("training_samples", trainingSamples);
        o.addProperty("data_type", "MNIST");
        o.addProperty("learning_rate", settings.lr());
        o.addProperty("classes", negative + " (score <= 0) and " + positive + " (score > 0)");
        return new GsonBuilder().create().toJson(o);
    }

    /**
     * The weights as a picture, two characters a pixel: bright ({@code @}) is evidence for the
     * second class, dark ({@code ' '}) for the first, the middle shade none.
     */
    public String ascii() {
        String shades = " .:-=+*#%@";
        float max = 0;
        for (float w : weights) {
            max = Math.max(max, Math.abs(w));
        }
        StringBuilder s = new StringBuilder();
        for (int r = 0; r < weights.length / side; r++) {
            for (int c = 0; c < side; c++) {
                double v = max == 0 ? 0.5 : 0.5 + 0.5 * weights[r * side + c] / max;
                char ch = shades.charAt((int) Math.min(shades.length() - 1, Math.floor(v * shades.length())));
                s.append(ch).append(ch);
            }
            s.append('\n');
        }
        return s.toString();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "Perceptron[%d vs %d, %d weights, lr %s, %d epochs%s]", negative, positive,
                weights.length, settings.lr(), settings.epochs(), settings.averaged() ? ", averaged" : "");
    }
}
