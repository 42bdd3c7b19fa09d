#!/usr/bin/python3
"""PyTorch peer of bench_train: the same CNN and MLP on the same Fashion-MNIST
files, batch 128, Adam, trained on CPU with a fixed number of threads.

    /usr/bin/python3 bench/peers/torch_fashion_mnist.py --model cnn --threads 2 --epochs 2

Prints one line: RESULT model=... samples_per_s=... test_accuracy=... train_seconds=...
(samples/s counts training steps only, as bench_train does for lagom).
Run it with OPENBLAS_NUM_THREADS=1 so that torch's own pool is the only one.
"""
import argparse
import gzip
import struct
import time

import numpy as np
import torch
import torch.nn as nn


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(directory, split, limit=0):
    stem = "train" if split == "train" else "t10k"
    x = read_idx(f"{directory}/{stem}-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    y = read_idx(f"{directory}/{stem}-labels-idx1-ubyte.gz").astype(np.int64)
    if limit:
        x, y = x[:limit], y[:limit]
    return torch.from_numpy(x.reshape(-1, 1, 28, 28).copy()), torch.from_numpy(y.copy())


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(32), nn.MaxPool2d(2),
        nn.Dropout(0.3),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(64), nn.MaxPool2d(2),
        nn.Dropout(0.3),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10))


def mlp(units=128, dropout=0.2):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, units), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(units, 10))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["cnn", "mlp"], required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--steps", type=int, default=0, help="stop after N steps (speed only)")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    xtr, ytr = load(a.data, "train")
    xte, yte = load(a.data, "test")
    model = cnn() if a.model == "cnn" else mlp()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(a.seed)
    seen, train_seconds, steps = 0, 0.0, 0
    for epoch in range(a.epochs):
        model.train()
        order = torch.randperm(len(xtr), generator=g)
        t0 = time.perf_counter()
        for i in range(0, len(order), a.batch):
            idx = order[i:i + a.batch]
            x, y = xtr[idx], ytr[idx]
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            seen += len(idx)
            steps += 1
            if a.steps and steps >= a.steps:
                break
        train_seconds += time.perf_counter() - t0
        if a.steps and steps >= a.steps:
            break
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(xte), 1000):
            correct += (model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item()
    print(f"RESULT model={a.model} samples_per_s={seen / train_seconds:.1f} "
          f"test_accuracy={correct / len(xte):.4f} train_seconds={train_seconds:.2f}",
          flush=True)


if __name__ == "__main__":
    main()
