#!/usr/bin/python3
"""PyTorch and panama-nn model files, both ways (Debian's python3-torch and python3-numpy).

    bench/pytorch_interop.py MODEL.npz [DATA_DIR] [OUT_DIR]

1. Builds the torch.nn.Sequential that MODEL.npz's model.json describes (Linear, ReLU, Sigmoid,
   LogSoftMax, Conv2d, MaxPool2d, Flatten, Dropout), loads the file's arrays into it with
   load_state_dict, as they are, and prints its test accuracy and its first ten predictions.
2. Trains the same architecture one epoch in PyTorch, saves its state_dict with numpy.savez
   as OUT_DIR/torch-trained.npz, with OUT_DIR/torch-trained.json beside it (the model.json a
   panama-nn model file holds), and prints its test accuracy: `pnn evaluate --model
   OUT_DIR/torch-trained.npz` then reports the same accuracy.
"""
import json
import sys

import numpy as np
import torch

from mnist_idx import mnist_arrays


def mnist(data, kind, input_shape):
    images, labels = mnist_arrays(data, kind)
    if len(input_shape) == 3:  # (h, w, c) images: PyTorch wants (c, h, w); MNIST has c = 1
        h, w, c = input_shape
        images = images.reshape(-1, h, w, c).transpose(0, 3, 1, 2).copy()
    return torch.from_numpy(images), torch.from_numpy(labels)


def layer(spec):
    kind = spec["type"]
    if kind == "Linear":
        return torch.nn.Linear(spec["in"], spec["out"])
    if kind == "Conv2d":
        return torch.nn.Conv2d(spec["in"], spec["out"], spec["kernel"], stride=spec["stride"],
                               padding=spec["padding"])
    if kind == "MaxPool2d":
        return torch.nn.MaxPool2d(spec["kernel"], stride=spec["stride"])
    if kind == "Dropout":
        return torch.nn.Dropout(spec["p"])
    simple = {"ReLU": torch.nn.ReLU, "Sigmoid": torch.nn.Sigmoid, "Flatten": torch.nn.Flatten,
              "LogSoftMax": lambda: torch.nn.LogSoftmax(dim=1)}
    return simple[kind]()


def network(model):
    return torch.nn.Sequential(*[layer(spec) for spec in model["layers"]])


def accuracy(net, x, y):
    with torch.no_grad():
        predicted = net(x).argmax(dim=1)
    return 100.0 * (predicted == y).float().mean().item(), predicted


def main():
    model = sys.argv[1]
    data = sys.argv[2] if len(sys.argv) > 2 else "data/mnist"
    out = sys.argv[3] if len(sys.argv) > 3 else "."
    torch.manual_seed(0)
    torch.set_num_threads(1)
    z = np.load(model)
    meta = json.loads(bytes(z["model.json"]).decode())
    test_x, test_y = mnist(data, "t10k", meta["model"]["input"])
    net = network(meta["model"])
    net.eval()
    net.load_state_dict({k: torch.from_numpy(z[k]) for k in z.files if k != "model.json"})
    acc, predicted = accuracy(net, test_x, test_y)
    print(f"panama-nn model {model} in PyTorch: test accuracy {acc:.2f}% "
          f"(the file says {meta['training'].get('final_accuracy')}); "
          f"first predictions {predicted[:10].tolist()}")

    train_x, train_y = mnist(data, "train", meta["model"]["input"])
    net = network(meta["model"])
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    order = torch.randperm(len(train_x))
    for start in range(0, len(train_x), 64):
        batch = order[start:start + 64]
        opt.zero_grad()
        loss = torch.nn.functional.nll_loss(net(train_x[batch]), train_y[batch])
        loss.backward()
        opt.step()
    net.eval()
    acc, _ = accuracy(net, test_x, test_y)
    state = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    np.savez(f"{out}/torch-trained.npz", **state)
    meta["training"] = {"epochs": 1, "optimizer": "torch.optim.SGD momentum 0.9", "final_accuracy": acc}
    json.dump(meta, open(f"{out}/torch-trained.json", "w"))
    print(f"PyTorch-trained model {out}/torch-trained.npz: test accuracy {acc:.2f}% in PyTorch; arrays "
          + ", ".join(f"{k} {tuple(v.shape)}" for k, v in state.items()))


if __name__ == "__main__":
    main()
