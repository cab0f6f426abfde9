#!/usr/bin/python3
"""The epoch benchmark's peer: the same MNIST workload in PyTorch or in textbook numpy.

Started by `make bench-epoch ARGS='--peer pytorch'` (EpochBenchmark), which alternates its own
epochs with this script's. Protocol: prints `ready <description>` once the data are loaded, then
for each line `epoch` on standard input trains one epoch and prints `<seconds> <mean loss>
<test accuracy %>`; exits at end of input.

Workload, as `pnn train` runs it: an MLP 784-H1-H2-10 with ReLU, PyTorch's default
initialisation, log-softmax + NLL loss, SGD with momentum 0.9 and weight decay 5e-4 (or, with
`--optimizer sgd`, plain SGD: neither), learning rate 0.05 on a cosine over the run's epochs,
stepped every batch; images normalized with the MNIST mean and std, preloaded as float32; every
epoch a fresh permutation, each batch gathered by index. The seconds count the training loop only (evaluation excluded), as ours do.

pytorch: torch.nn layers, torch.optim.SGD, torch.set_num_threads(threads).
numpy:   the same network written out by hand in float32 (np.dot on the system BLAS, whose
         threads OPENBLAS_NUM_THREADS sets before numpy loads).

Run on its own: /usr/bin/python3 bench/epoch_peer.py --impl numpy --epochs 2 < <(printf 'epoch\nepoch\n')
"""
import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--impl", choices=["pytorch", "numpy"], required=True)
    p.add_argument("--data", default="data/mnist")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--hidden", default="128,64")
    p.add_argument("--optimizer", choices=["momentum", "sgd"], default="momentum")
    p.add_argument("--epochs", type=int, default=6, help="epochs of the cosine schedule")
    return p.parse_args()


def lr_at(progress, epochs, base=0.05):
    return 0.5 * base * (1 + math.cos(math.pi * progress / epochs))


def main():
    args = parse()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    from mnist_idx import mnist_arrays  # numpy only: imported after the thread variables are set

    x_train, y_train = mnist_arrays(args.data, "train")
    x_test, y_test = mnist_arrays(args.data, "t10k")
    widths = [784] + [int(h) for h in args.hidden.split(",")] + [10]
    if args.impl == "pytorch":
        run = pytorch_runner(args, widths, x_train, y_train, x_test, y_test)
    else:
        run = numpy_runner(args, widths, x_train, y_train, x_test, y_test)
    print("ready " + run.description, flush=True)
    epoch = 0
    for line in sys.stdin:
        if line.strip() != "epoch":
            continue
        seconds, loss, accuracy = run(epoch)
        print(f"{seconds:.6f} {loss:.6f} {accuracy:.2f}", flush=True)
        epoch += 1


def pytorch_runner(args, widths, x_train, y_train, x_test, y_test):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(42)
    layers = []
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    if args.optimizer == "momentum":
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x = torch.from_numpy(x_train)
    y = torch.from_numpy(y_train.astype("int64"))
    xt = torch.from_numpy(x_test)
    yt = torch.from_numpy(y_test.astype("int64"))
    n, b = x.shape[0], args.batch_size
    steps = (n + b - 1) // b

    def run(epoch):
        model.train()
        start = time.perf_counter()
        perm = torch.randperm(n)
        total = 0.0
        for s in range(steps):
            for g in opt.param_groups:
                g["lr"] = lr_at(epoch + s / steps, args.epochs)
            idx = perm[s * b:(s + 1) * b]
            out = model(x[idx])
            loss = F.cross_entropy(out, y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * idx.shape[0]
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            accuracy = (model(xt).argmax(1) == yt).float().mean().item() * 100
        return seconds, total / n, accuracy

    run.description = (f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread"
                       f"{'s' if args.threads > 1 else ''}, {'-'.join(map(str, widths))}, batch {args.batch_size}, "
                       f"{args.optimizer}")
    return run


def numpy_runner(args, widths, x_train, y_train, x_test, y_test):
    import numpy as np

    rng = np.random.default_rng(42)
    # PyTorch's default: U(-1/sqrt(in), 1/sqrt(in)) for weights and biases; weights stored in x out
    weights = [rng.uniform(-1, 1, (widths[i], widths[i + 1])).astype(np.float32) / np.float32(math.sqrt(widths[i]))
               for i in range(len(widths) - 1)]
    biases = [rng.uniform(-1, 1, widths[i + 1]).astype(np.float32) / np.float32(math.sqrt(widths[i]))
              for i in range(len(widths) - 1)]
    momentum = args.optimizer == "momentum"
    velocity = [np.zeros_like(p) for p in weights + biases]
    n, b = x_train.shape[0], args.batch_size
    steps = (n + b - 1) // b
    layers = len(weights)

    def forward(x):
        acts = [x]
        for i in range(layers):
            z = acts[-1] @ weights[i] + biases[i]
            acts.append(np.maximum(z, 0) if i < layers - 1 else z)
        return acts

    def run(epoch):
        start = time.perf_counter()
        perm = rng.permutation(n)
        total = 0.0
        for s in range(steps):
            lr = np.float32(lr_at(epoch + s / steps, args.epochs))
            idx = perm[s * b:(s + 1) * b]
            x, y = x_train[idx], y_train[idx]
            acts = forward(x)
            logits = acts[-1]
            shifted = logits - logits.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            rows = np.arange(len(idx))
            total += -log_probs[rows, y].sum()
            delta = np.exp(log_probs)
            delta[rows, y] -= 1
            delta /= np.float32(len(idx))
            grads_w, grads_b = [None] * layers, [None] * layers
            for i in reversed(range(layers)):
                grads_w[i] = acts[i].T @ delta
                grads_b[i] = delta.sum(axis=0)
                if i > 0:
                    delta = (delta @ weights[i].T) * (acts[i] > 0)
            if momentum:
                for p, g, v in zip(weights + biases, grads_w + grads_b, velocity):
                    g = g + np.float32(5e-4) * p
                    v *= np.float32(0.9)
                    v += g
                    p -= lr * v
            else:
                for p, g in zip(weights + biases, grads_w + grads_b):
                    p -= lr * g
        seconds = time.perf_counter() - start
        accuracy = (forward(x_test)[-1].argmax(axis=1) == y_test).mean() * 100
        return seconds, total / n, accuracy

    run.description = (f"numpy {np.__version__} (textbook, float32), {args.threads} BLAS thread"
                       f"{'s' if args.threads > 1 else ''}, {'-'.join(map(str, widths))}, batch {args.batch_size}, "
                       f"{args.optimizer}")
    return run


if __name__ == "__main__":
    main()
