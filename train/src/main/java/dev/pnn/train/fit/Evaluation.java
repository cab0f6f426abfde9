package dev.pnn.train.fit;

/**
 * A model's loss and accuracy on a dataset.
 *
 * @param loss     mean loss
 * @param accuracy percent classified right
 * @param correct  examples classified right
 * @param total    examples
 */
public record Evaluation(double loss, double accuracy, int correct, int total) {}
