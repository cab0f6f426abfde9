"""MNIST's IDX files as numpy arrays, normalized as panama-nn normalizes them (numpy only)."""
import numpy as np


def idx(path, offset):
    return np.frombuffer(open(path, "rb").read(), dtype=np.uint8, offset=offset)


def mnist_arrays(data, kind):
    """(images, labels) of `kind` (train or t10k): float32 (n, 784) with MNIST's mean and std, int64 labels."""
    images = idx(f"{data}/{kind}-images-idx3-ubyte", 16).astype(np.float32).reshape(-1, 784)
    labels = idx(f"{data}/{kind}-labels-idx1-ubyte", 8).astype(np.int64)
    return (images / 255 - np.float32(0.1307)) / np.float32(0.3081), labels
