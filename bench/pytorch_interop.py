#!/usr/bin/python3
"""PyTorch and panama-nn model files, both ways (Debian's python3-torch and python3-numpy).

    bench/pytorch_interop.py MODEL.npz [DATA_DIR] [OUT_DIR]

1. Loads MODEL.npz (written by `pnn train --save`) into torch.nn.Sequential with
   load_state_dict, as it is, and prints its test accuracy and its first ten predictions.
2. Trains the same architecture one epoch in PyTorch, saves its state_dict with numpy.savez
   as OUT_DIR/torch-trained.npz, with OUT_DIR/torch-trained.json beside it (the model.json a
   panama-nn model file holds), and prints its test accuracy: `pnn evaluate --model
   OUT_DIR/torch-trained.npz` then reports the same accuracy.
"""
import json
import sys

import numpy as np
import torch


def idx(path, offset):
    return np.frombuffer(open(path, "rb").read(), dtype=np.uint8, offset=offset)


def mnist(data, kind):
    images = idx(f"{data}/{kind}-images-idx3-ubyte", 16).reshape(-1, 784).astype(np.float32)
    labels = idx(f"{data}/{kind}-labels-idx1-ubyte", 8).astype(np.int64)
    return torch.from_numpy((images / 255 - 0.1307) / 0.3081), torch.from_numpy(labels)


def network():
    return torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 64),
                               torch.nn.ReLU(), torch.nn.Linear(64, 10), torch.nn.LogSoftmax(dim=1))


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
    test_x, test_y = mnist(data, "t10k")

    z = np.load(model)
    meta = json.loads(bytes(z["model.json"]).decode())
    net = network()
    net.load_state_dict({k: torch.from_numpy(z[k]) for k in z.files if k != "model.json"})
    acc, predicted = accuracy(net, test_x, test_y)
    print(f"panama-nn model {model} in PyTorch: test accuracy {acc:.2f}% "
          f"(the file says {meta['training'].get('final_accuracy')}); "
          f"first predictions {predicted[:10].tolist()}")

    train_x, train_y = mnist(data, "train")
    net = network()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    order = torch.randperm(len(train_x))
    for start in range(0, len(train_x), 64):
        batch = order[start:start + 64]
        opt.zero_grad()
        loss = torch.nn.functional.nll_loss(net(train_x[batch]), train_y[batch])
        loss.backward()
        opt.step()
    acc, _ = accuracy(net, test_x, test_y)
    state = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    np.savez(f"{out}/torch-trained.npz", **state)
    meta["training"] = {"epochs": 1, "optimizer": "torch.optim.SGD momentum 0.9", "final_accuracy": acc}
    json.dump(meta, open(f"{out}/torch-trained.json", "w"))
    print(f"PyTorch-trained model {out}/torch-trained.npz: test accuracy {acc:.2f}% in PyTorch; arrays "
          + ", ".join(f"{k} {tuple(v.shape)}" for k, v in state.items()))


if __name__ == "__main__":
    main()
