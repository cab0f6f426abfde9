#!/usr/bin/python3
"""Iris, from the copy that Debian's python3-sklearn ships, as CSV files for `pnn train --csv`,
and scikit-learn's MLPClassifier on the same split for comparison.

    bench/iris_sklearn.py OUT_DIR [SEED]

writes OUT_DIR/iris-train.csv and OUT_DIR/iris-test.csv (a stratified 70/30 split; the label
column is `species`, by name) and prints MLPClassifier's test accuracy on them, its features
standardized by the training set as `pnn train --normalize auto` does.
"""
import csv
import sys

from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

out = sys.argv[1]
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
iris = load_iris()
names = [n.replace(" (cm)", "").replace(" ", "_") for n in iris.feature_names]
x_train, x_test, y_train, y_test = train_test_split(iris.data, iris.target, test_size=0.3, stratify=iris.target,
                                                    random_state=seed)
for name, xs, ys in (("train", x_train, y_train), ("test", x_test, y_test)):
    with open(f"{out}/iris-{name}.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names + ["species"])
        for x, y in zip(xs, ys):
            w.writerow([f"{v:g}" for v in x] + [iris.target_names[y]])
scaler = StandardScaler().fit(x_train)
accuracies = []
for s in range(5):
    mlp = MLPClassifier(hidden_layer_sizes=(16,), max_iter=2000, random_state=s)
    mlp.fit(scaler.transform(x_train), y_train)
    accuracies.append(100 * mlp.score(scaler.transform(x_test), y_test))
print("scikit-learn MLPClassifier(16), split seed %d: test accuracy %s, mean %.2f%%"
      % (seed, ", ".join("%.2f%%" % a for a in accuracies), sum(accuracies) / len(accuracies)))
