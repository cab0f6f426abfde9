package dev.pnn.train.io;

import dev.pnn.train.data.Normalization;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a model file keeps beside the model and its parameters: how inputs are normalized, the
 * names of the classes, and how the model was trained.
 *
 * @param normalization how raw pixels (0 to 255) become inputs
 * @param classes       the name of each output class, in order; empty when not known (then
 *                      classes are named by their index)
 * @param training      facts about the run, such as {@code epochs}, {@code optimizer},
 *                      {@code seed}, {@code final_accuracy}: numbers and strings, in order
 * @param featureMean   for a table, each feature's training mean, subtracted before the model
 *                      sees it (empty for images)
 * @param featureStd    for a table, each feature's training standard deviation, divided by
 */
public record ModelInfo(Normalization normalization, List<String> classes, Map<String, Object> training,
                        List<Float> featureMean, List<Float> featureStd) {

    public ModelInfo {
        featureMean = List.copyOf(featureMean);
        featureStd = List.copyOf(featureStd);
        if (featureMean.size() != featureStd.size()) {
            throw new IllegalArgumentException("feature scaling: " + featureMean.size() + " means but "
                    + featureStd.size() + " standard deviations");
        }
        if (normalization == null) {
            throw new IllegalArgumentException("a model's normalization is required (Normalization.NONE for none)");
        }
        classes = List.copyOf(classes);
        training = Collections.unmodifiableMap(new LinkedHashMap<>(training));
    }

    /** For images: normalization, class names and training facts. */
    public ModelInfo(Normalization normalization, List<String> classes, Map<String, Object> training) {
        this(normalization, classes, training, List.of(), List.of());
    }

    /** Normalization only: no class names, no training facts. */
    public static ModelInfo of(Normalization normalization) {
        return new ModelInfo(normalization, List.of(), Map.of());
    }

    /** The name of class {@code index}: its name when known, else the index itself. */
    public String className(int index) {
        return index >= 0 && index < classes.size() ? classes.get(index) : Integer.toString(index);
    }
}
