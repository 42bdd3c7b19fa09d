# Peer of bench_search (b): Optuna 3.1's in-memory RandomSampler loop over
# no-op trials, the cost per trial of the library itself.
#   /usr/bin/python3 bench/peers/optuna_noop.py N
# prints: trials_per_s <value>
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
n = int(sys.argv[1])
study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=1))
t0 = time.perf_counter()
study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0) * 0.0, n_trials=n)
dt = time.perf_counter() - t0
print("trials_per_s %.1f" % (n / dt))
