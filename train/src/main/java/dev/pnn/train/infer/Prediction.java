package dev.pnn.train.infer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A classification: the predicted class and the probability of every class.
 *
 * @param index         the predicted class, the most probable (the first of ties); -1 when the
 *                      network's output held a NaN
 * @param label         its name (from the model file), or the index as text
 * @param probabilities one per class, summing to 1
 */
public record Prediction(int index, String label, float[] probabilities) {

    /** A class and its probability. */
    public record Ranked(int index, String label, float probability) {}

    /** The {@code k} most probable classes, most probable first. */
    public List<Ranked> top(int k, List<String> labels) {
        List<Ranked> all = new ArrayList<>();
        IntStream.range(0, probabilities.length).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> -probabilities[i]).thenComparingInt(i -> i))
                .limit(k)
                .forEach(i -> all.add(new Ranked(i, i < labels.size() ? labels.get(i) : Integer.toString(i),
                        probabilities[i])));
        return all;
    }

    /** The probability of the predicted class (NaN when there is none). */
    public float confidence() {
        return index < 0 ? Float.NaN : probabilities[index];
    }
}
