# Peer of bench_allreduce: torch.distributed's gloo backend (Debian's
# python3-torch 1.13), 2 processes on this host, all-reduce (sum) of float32
# tensors, timed the same way as lagom's: after a barrier and a warm-up, rank
# 0 times `iters` back-to-back all-reduces and reports the mean per call.
#   /usr/bin/python3 bench/peers/allreduce_torch.py INIT_FILE BYTES:ITERS...
# prints one line per size: allreduce <bytes> <seconds per call>
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def run(rank, world, init_file, sizes, queue):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method="file://" + init_file, rank=rank, world_size=world)
    out = []
    for nbytes, iters in sizes:
        t = torch.ones(nbytes // 4, dtype=torch.float32) * (rank + 1)
        for _ in range(2):
            dist.all_reduce(t)
        dist.barrier()
        t0 = time.perf_counter()
        for _ in range(iters):
            dist.all_reduce(t)
        dt = (time.perf_counter() - t0) / iters
        out.append((nbytes, dt))
    dist.barrier()
    dist.destroy_process_group()
    if rank == 0:
        queue.put(out)


def main():
    init_file = sys.argv[1]
    sizes = [tuple(int(x) for x in a.split(":")) for a in sys.argv[2:]]
    world = 2
    ctx = mp.get_context("fork")
    queue = ctx.SimpleQueue()
    procs = [ctx.Process(target=run, args=(r, world, init_file, sizes, queue)) for r in range(world)]
    for p in procs:
        p.start()
    out = queue.get()
    for p in procs:
        p.join(60)
    for nbytes, dt in out:
        print("allreduce %d %.9f" % (nbytes, dt))
    if os.path.exists(init_file):
        os.unlink(init_file)


if __name__ == "__main__":
    main()
