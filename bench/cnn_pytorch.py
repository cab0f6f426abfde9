#!/usr/bin/python3
"""The CNN preset against PyTorch on the CPU (Debian's python3-torch), in one run.

    bench/cnn_pytorch.py [DATA_DIR] [PNN_JAR] [EPOCHS]

For 1 and 2 threads, alternately: EPOCHS (2) training epochs of the same network in PyTorch
(conv 1-32 3x3, ReLU, max-pool 2, conv 32-64 3x3, ReLU, max-pool 2, flatten, Linear 1600-128,
ReLU, dropout 0.5, Linear 128-10, log-softmax; Adam lr 1e-3 (the preset uses 2e-3 cosine; the
rate does not change the time); batch 64; MNIST normalized) and
`pnn train --model cnn --epochs EPOCHS --threads T`, then `--shards 2 --threads 1` (each batch
split over two threads); prints seconds per epoch (training only, as
each reports it; the best epoch of each, so that the JVM's warm-up in the first does not count), the
epoch's arithmetic, our ratio to the FLOP limit and to PyTorch.
"""
import re
import subprocess
import sys
import time

import torch

from pytorch_interop import mnist  # the same MNIST loading and normalization, NCHW for images

DATA = sys.argv[1] if len(sys.argv) > 1 else "data/mnist"
JAR = sys.argv[2] if len(sys.argv) > 2 else "train/cli/target/pnn.jar"
EPOCHS = int(sys.argv[3]) if len(sys.argv) > 3 else 2
# sgemm GFLOP/s at 1024^3 on the measuring machine (make bench ARGS='GemmBenchmark -p
# shape=1024x1024x1024:NN -p backend=native -p threads=1,2'), by thread count
PEAK = {1: 122.6, 2: 243.3}
JAVA = subprocess.run(["make", "-s", "jdk"], capture_output=True, text=True).stdout.strip().replace("using JDK ", "") \
    + "/bin/java"


def network():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(1600, 128), torch.nn.ReLU(), torch.nn.Dropout(0.5), torch.nn.Linear(128, 10),
        torch.nn.LogSoftmax(dim=1))


def flops_per_epoch(n):
    conv1 = 26 * 26 * 32 * 9 * 2
    conv2 = 11 * 11 * 64 * 288 * 2
    fc = (1600 * 128 + 128 * 10) * 2
    # forward, weight gradients, input gradients (none for the first layer, which sees the input)
    return n * (3 * (conv2 + fc) + 2 * conv1)


def pytorch_epoch(threads, x, y, test_x, test_y):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = network()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    seconds = []
    for _ in range(EPOCHS):
        order = torch.randperm(len(x))
        net.train()
        start = time.perf_counter()
        for i in range(0, len(x), 64):
            b = order[i:i + 64]
            opt.zero_grad()
            loss = torch.nn.functional.nll_loss(net(x[b]), y[b])
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - start)
    net.eval()
    with torch.no_grad():
        acc = 100.0 * (net(test_x).argmax(1) == test_y).float().mean().item()
    return min(seconds), acc


def pnn_epoch(threads, shards=1):
    out = subprocess.run([JAVA, "--enable-native-access=ALL-UNNAMED", "-jar", JAR, "train", "--model", "cnn",
                          "--epochs", str(EPOCHS), "--threads", str(threads), "--shards", str(shards), "--data", DATA],
                         capture_output=True, text=True, check=True).stdout
    rates = [float(r.replace(",", "")) for r in re.findall(r"([\d,]+) samples/s", out)]
    acc = float(re.findall(r"test accuracy: ([\d.]+)%", out)[-1])
    return 60000 / max(rates), acc


def main():
    x, y = mnist(DATA, "train", (28, 28, 1))
    test_x, test_y = mnist(DATA, "t10k", (28, 28, 1))
    flops = flops_per_epoch(60000)
    print(f"epoch arithmetic {flops / 1e12:.3f} TFLOP; at sgemm's peak ({PEAK[1]:.0f} GFLOP/s on 1 thread, "
          f"{PEAK[2]:.0f} on 2: GemmBenchmark 1024^3) {flops / PEAK[1] / 1e9:.1f} s and {flops / PEAK[2] / 1e9:.1f} s")
    print(f"{'threads':>7} {'PyTorch s/epoch':>16} {'acc':>7} {'pnn s/epoch':>12} {'acc':>7} {'PyTorch/pnn':>12}"
          f" {'pnn/limit':>10}")
    best_torch = None
    for threads in (1, 2):
        t_torch, a_torch = pytorch_epoch(threads, x, y, test_x, test_y)
        best_torch = t_torch if best_torch is None else min(best_torch, t_torch)
        t_pnn, a_pnn = pnn_epoch(threads)
        limit = flops / PEAK[threads] / 1e9
        print(f"{threads:>7} {t_torch:>16.2f} {a_torch:>6.2f}% {t_pnn:>12.2f} {a_pnn:>6.2f}% {t_torch / t_pnn:>11.2f}x"
              f" {t_pnn / limit:>9.2f}x", flush=True)
    # both cores as two shards of each batch, one BLAS thread each (pnn train --shards 2 --threads 1)
    t_pnn, a_pnn = pnn_epoch(1, shards=2)
    print(f"{'2 (2 shards)':>7} {'':>16} {'':>7} {t_pnn:>12.2f} {a_pnn:>6.2f}% {'':>12} {t_pnn / (flops / PEAK[2] / 1e9):>9.2f}x")
    print(f"best against best: PyTorch {best_torch:.2f} s, panama-nn {t_pnn:.2f} s with 2 shards: "
          f"{best_torch / t_pnn:.2f}x", flush=True)


if __name__ == "__main__":
    main()
