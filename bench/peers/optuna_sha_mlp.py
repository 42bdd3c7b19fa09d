#!/usr/bin/python3
"""Optuna peer of bench_asha: successive halving on the Fashion-MNIST MLP.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/peers/optuna_sha_mlp.py \
        --trials 16 --train-limit 12000 --threads 2 --seed 1

Optuna 3.1, RandomSampler (ASHA samples its rung-0 configurations at random
too) and SuccessiveHalvingPruner(min_resource=1, reduction_factor=2). Space:
lr double [1e-4, 1e-2] log, units integer [32, 256], dropout double [0, 0.5].
Each trial trains the MLP of torch_fashion_mnist.py (batch 128, Adam, the
first --train-limit training images) for at most --max-epochs epochs, and
after each epoch evaluates on the 10,000 test images, trial.report()s the
test accuracy and asks should_prune(). Trials run one after another in one
process, torch.set_num_threads(--threads); the data is loaded once.

Prints, on stdout, parseable lines (times in seconds since the start, which
is after the imports, before the data is loaded):
    EVAL t=<s> trial=<n> epoch=<e> acc=<a> best=<best so far over all evaluations>
    TRIAL t=<s> trial=<n> state=<COMPLETE|PRUNED> epochs=<e> best=<...>
    DONE total=<s> best=<a> complete_best=<a> trials=<n> pruned=<n> epochs=<n>
"""
import argparse
import os
import sys
import time

import optuna
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_fashion_mnist import load, mlp  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--train-limit", type=int, default=12000)
    ap.add_argument("--max-epochs", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seed", type=int, default=1, help="the sampler's seed")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    t0 = time.perf_counter()  # after the imports, before the data is loaded

    def now():
        return time.perf_counter() - t0

    xtr, ytr = load(a.data, "train", a.train_limit)
    xte, yte = load(a.data, "test")
    state = {"best": None, "epochs": 0}

    def evaluate(model):
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(xte), 1000):
                correct += (model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item()
        return correct / len(xte)

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-2, log=True)
        units = trial.suggest_int("units", 32, 256)
        dropout = trial.suggest_float("dropout", 0.0, 0.5)
        torch.manual_seed(42)  # as the lagom function: seed 42 for weights and dropout
        model = mlp(units, dropout)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        loss_fn = nn.CrossEntropyLoss()
        g = torch.Generator().manual_seed(42)
        acc = 0.0
        for epoch in range(1, a.max_epochs + 1):
            model.train()
            order = torch.randperm(len(xtr), generator=g)
            for i in range(0, len(order), a.batch):
                idx = order[i:i + a.batch]
                opt.zero_grad()
                loss_fn(model(xtr[idx]), ytr[idx]).backward()
                opt.step()
            acc = evaluate(model)
            state["epochs"] += 1
            if state["best"] is None or acc > state["best"]:
                state["best"] = acc
            print(f"EVAL t={now():.3f} trial={trial.number} epoch={epoch} acc={acc:.4f} "
                  f"best={state['best']:.4f}", flush=True)
            trial.set_user_attr("epochs", epoch)
            trial.report(acc, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return acc

    def on_trial_end(study, trial):
        print(f"TRIAL t={now():.3f} trial={trial.number} state={trial.state.name} "
              f"epochs={trial.user_attrs.get('epochs', 0)} best={state['best']:.4f}",
              flush=True)

    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=a.seed),
        pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    study.optimize(objective, n_trials=a.trials, callbacks=[on_trial_end])
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    print(f"DONE total={now():.3f} best={state['best']:.4f} "
          f"complete_best={study.best_value if complete else 0:.4f} "
          f"trials={len(study.trials)} pruned={pruned} epochs={state['epochs']}", flush=True)


if __name__ == "__main__":
    main()
