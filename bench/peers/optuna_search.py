"""The Optuna 3.1 side of bench_tuning (bench/tuning.cpp): the same objectives,
TPESampler and RandomSampler with their defaults, in-memory storage, logging
silenced. Run with Debian's /usr/bin/python3 (python3-optuna).

  optuna_search.py time --trials 100,1000 --seed 1
      ask+tell time per trial on the 5-d mixed objective, for each count:
      RESULT trials=N us_per_trial=X best=Y
  optuna_search.py best --trials 100 --seeds 5
      best value after N trials on Branin and Hartmann-6, TPE and random:
      RESULT func=F sampler=S seed=K best=Y
Progress goes to stdout as `PROGRESS <text>` lines, which the bench shows.
"""
import argparse
import math
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def mixed(t):
    # Same as mixed() in bench/tuning.cpp.
    x = t.suggest_float("x", -5, 5)
    y = t.suggest_float("y", -5, 5)
    lr = t.suggest_float("lr", 1e-4, 1, log=True)
    n = t.suggest_int("n", 1, 64)
    opt = t.suggest_categorical("opt", ["adam", "sgd", "rms"])
    return (x * x + (y - 1) ** 2 + (math.log10(lr) + 2) ** 2 + ((n - 20) / 10) ** 2
            + {"adam": 0.0, "sgd": 0.5, "rms": 1.0}[opt])


def branin(t):
    x1 = t.suggest_float("x1", -5, 10)
    x2 = t.suggest_float("x2", 0, 15)
    b, c, r = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - r) * math.cos(x1) + 10


H_ALPHA = [1.0, 1.2, 3.0, 3.2]
H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
       [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
       [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(t):
    x = [t.suggest_float(f"x{j}", 0, 1) for j in range(6)]
    return -sum(H_ALPHA[i] * math.exp(-sum(H_A[i][j] * (x[j] - H_P[i][j] * 1e-4) ** 2
                                            for j in range(6)))
                for i in range(4))


def progress(text):
    print("PROGRESS " + text, flush=True)


def run(objective, sampler, trials, label):
    study = optuna.create_study(sampler=sampler)  # in-memory storage
    start = time.perf_counter()
    for i in range(trials):
        trial = study.ask()
        study.tell(trial, objective(trial))
        if label and (i + 1) % 50 == 0:
            progress(f"{label}: {i + 1}/{trials} trials")
    return time.perf_counter() - start, study.best_value


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["time", "best"])
    ap.add_argument("--trials", default="100")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeds", type=int, default=5)
    a = ap.parse_args()
    if a.mode == "time":
        for n in [int(s) for s in a.trials.split(",")]:
            seconds, best = run(mixed, optuna.samplers.TPESampler(seed=a.seed), n,
                                f"optuna tpe, seed {a.seed}, {n}")
            print(f"RESULT trials={n} us_per_trial={seconds / n * 1e6:.3f} best={best:.6g}",
                  flush=True)
    else:
        n = int(a.trials)
        for name, f in (("branin", branin), ("hartmann6", hartmann6)):
            for sampler in ("tpe", "random"):
                for seed in range(1, a.seeds + 1):
                    s = (optuna.samplers.TPESampler(seed=seed) if sampler == "tpe"
                         else optuna.samplers.RandomSampler(seed=seed))
                    progress(f"optuna {name} {sampler} seed {seed}/{a.seeds}")
                    _, best = run(f, s, n, None)
                    print(f"RESULT func={name} sampler={sampler} seed={seed} best={best:.9g}",
                          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
