#!/usr/bin/python3
# The peer of bench_ddp: the Fashion-MNIST CNN (the workshop's: Conv32-BN-Pool-
# Dropout, Conv64-BN-Pool-Dropout, Dense128-Dropout, Dense10; Adam) trained by
# `world` processes with torch DDP over gloo, 1 thread each, random data.
# Prints the group's samples/s over `steps` timed steps after 3 warm-up steps.
import argparse, os, sys, tempfile, time
import torch, torch.nn as nn, torch.distributed as dist, torch.multiprocessing as mp


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(32), nn.MaxPool2d(2), nn.Dropout(0.3),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(64), nn.MaxPool2d(2), nn.Dropout(0.3),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))


def rank_main(rank, world, steps, batch, init, out):
    torch.set_num_threads(1)
    torch.manual_seed(1)
    model = cnn()
    if world > 1:
        dist.init_process_group("gloo", init_method=init, rank=rank, world_size=world)
        model = nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    g = torch.Generator().manual_seed(7 + rank)
    x = torch.rand(batch, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (batch,), generator=g)
    loss_fn = nn.CrossEntropyLoss()
    t0 = None
    for s in range(steps + 3):
        if s == 3:
            if world > 1:
                dist.barrier()
            t0 = time.perf_counter()
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    if world > 1:
        dist.barrier()
    secs = time.perf_counter() - t0
    if rank == 0:
        out.put(steps * batch * world / secs)
    if world > 1:
        dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--world", type=int, default=2)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--batch", type=int, default=64)
    a = p.parse_args()
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    with tempfile.TemporaryDirectory() as d:
        init = "file://" + os.path.join(d, "rendezvous")
        procs = [ctx.Process(target=rank_main, args=(r, a.world, a.steps, a.batch, init, out))
                 for r in range(a.world)]
        for q in procs:
            q.start()
        v = out.get(timeout=600)
        for q in procs:
            q.join(timeout=60)
    print(f"{v:.1f}")


if __name__ == "__main__":
    main()
