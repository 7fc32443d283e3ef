#!/usr/bin/python3
"""Compare training speed of qkv and a PyTorch twin on the headline model.

Both train the same transformer, the headline model of Saparov et al.,
"Transformers Struggle to Learn to Search" (ICLR 2025): N = 128, 6 layers,
one head, hidden 16, D = 190, 1,311,380 parameters. They train it with
batch 256 and the sign-momentum rule on the same machine, taking turns for
--rounds rounds, and report examples per second over the timed steps (the
first step is a warm-up and not timed).

PyTorch runs on the CPU in float32 with torch.set_num_threads(THREADS)
and OMP_WAIT_POLICY=PASSIVE, over all N positions as the original code
does (PAD keys masked). qkv runs `qkv train --preset paper` for the same
number of steps on balanced-distribution batches and reads the throughput
from its JSON Lines log.

Run from the repository root:
    /usr/bin/python3 scripts/bench/train_compare.py [--steps 4] [--threads 2] [--rounds 3]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402  (the environment variable must be set first)

N, LAYERS, HIDDEN, BATCH = 128, 6, 16, 256
V = (N - 5) // 3
VOCAB, PAD = V + 5, V + 3
D = VOCAB + HIDDEN + N
LR, WD, BETA = 1e-5, 0.1, 0.965


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = torch.nn.LayerNorm(D)
        self.q, self.k, self.v, self.o = (torch.nn.Linear(D, D) for _ in range(4))
        self.ln2 = torch.nn.LayerNorm(D)
        self.up, self.down = torch.nn.Linear(D, D), torch.nn.Linear(D, D)

    def forward(self, x, pad):
        a = self.ln1(x)
        s = self.q(a) @ self.k(a).transpose(-1, -2) / D ** 0.5
        s = s.masked_fill(pad[:, None, :], float("-inf"))
        x = x + self.o(torch.softmax(s, dim=-1) @ self.v(a))
        return x + self.down(torch.relu(self.up(self.ln2(x))))


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = torch.nn.ModuleList(Block() for _ in range(LAYERS))
        self.final = torch.nn.LayerNorm(D)

    def forward(self, tokens):
        b, n = tokens.shape
        x = torch.cat([torch.nn.functional.one_hot(tokens, VOCAB).float(),
                       torch.zeros(b, n, HIDDEN),
                       torch.eye(n).expand(b, n, n)], dim=-1)
        pad = tokens == PAD
        for blk in self.blocks:
            x = blk(x, pad)
        return self.final(x)[:, -1, :VOCAB]


def random_batch(gen):
    """Inputs with about 95 non-PAD tokens, the mean balanced length at N = 128."""
    tokens = torch.randint(1, PAD, (BATCH, N), generator=gen)
    lead = torch.randint(0, 66, (BATCH,), generator=gen)
    tokens[torch.arange(N)[None, :] < lead[:, None]] = PAD
    return tokens, torch.randint(1, V + 1, (BATCH,), generator=gen)


def bench_torch(steps, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = Model()
    params = list(model.parameters())
    assert sum(p.numel() for p in params) == 1311380
    m = [torch.zeros_like(p) for p in params]
    gen = torch.Generator().manual_seed(2)
    batches = [random_batch(gen) for _ in range(steps + 1)]
    start = cpu_start = None
    for i, (tokens, labels) in enumerate(batches):
        if i == 1:
            start, cpu_start = time.perf_counter(), time.process_time()
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(tokens), labels).backward()
        with torch.no_grad():
            for p, mp in zip(params, m):
                p.mul_(1 - LR * WD)
                mp.mul_(BETA).add_(p.grad, alpha=1 - BETA)
                p.sub_(LR * torch.clamp(mp / 1e-15, -1, 1))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return steps * BATCH / wall, steps * BATCH / cpu


def run_qkv(steps, threads, qkv):
    """Run qkv train for steps steps; return its step log and CPU seconds."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [qkv, "train", "--preset", "paper", "--steps", str(steps),
               "--eval-every", "0", "--eval-count", "1", "--test-set-size", "1",
               "--checkpoint-every", "0", "--log-every", "1",
               "--threads", str(threads), "--out", out]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(os.path.join(out, "train.jsonl")) as f:
            records = [r for r in map(json.loads, f) if r["kind"] == "step"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return records, cpu


def bench_qkv(steps, threads, qkv):
    """Wall-clock rate over steps 2..steps+1, and CPU rate from the CPU-time
    difference between a run of steps+1 steps and a run of one step, which
    removes start-up, the warm-up step and the final evaluation."""
    records, cpu_long = run_qkv(steps + 1, threads, qkv)
    _, cpu_short = run_qkv(1, threads, qkv)
    first, last = records[0], records[-1]
    wall = (last["seen"] - first["seen"]) / (last["elapsed_sec"] - first["elapsed_sec"])
    return wall, steps * BATCH / (cpu_long - cpu_short)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=4, help="timed steps per trainer (default 4)")
    ap.add_argument("--threads", type=int, default=2, help="threads for both trainers (default 2)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of both trainers (default 3)")
    ap.add_argument("--qkv", default="", help="qkv binary (default: build ./cmd/qkv into a temporary file)")
    args = ap.parse_args()

    qkv = args.qkv
    tmpdir = None
    if not qkv:
        tmpdir = tempfile.TemporaryDirectory()
        qkv = os.path.join(tmpdir.name, "qkv")
        subprocess.run(["go", "build", "-o", qkv, "./cmd/qkv"], check=True)

    # Alternate the trainers so that a change in the machine's load hits
    # both, and report every round and the medians.
    torch_rates, qkv_rates = [], []
    for _ in range(args.rounds):
        torch_rates.append(bench_torch(args.steps, args.threads))
        qkv_rates.append(bench_qkv(args.steps, args.threads, qkv))
    rounds = " | ".join(f"round {i + 1}" for i in range(args.rounds))
    print(f"examples per wall-clock second, {args.steps} timed steps of {BATCH} per round:\n")
    print(f"| trainer | {rounds} | best |")
    print("|---|" + "---|" * (args.rounds + 1))
    for name, rates in ((f"PyTorch {torch.__version__}", torch_rates), ("qkv", qkv_rates)):
        cells = " | ".join(f"{r[0]:.1f}" for r in rates)
        print(f"| {name}, float32, {args.threads} threads | {cells} | {max(r[0] for r in rates):.1f} |")
    print(f"\nexamples per CPU-second (user + system time of all threads):\n")
    print(f"| trainer | {rounds} | median |")
    print("|---|" + "---|" * (args.rounds + 1))
    for name, rates in ((f"PyTorch {torch.__version__}", torch_rates), ("qkv", qkv_rates)):
        cells = " | ".join(f"{r[1]:.1f}" for r in rates)
        print(f"| {name} | {cells} | {statistics.median(r[1] for r in rates):.1f} |")
    best = max(r[0] for r in qkv_rates) / max(r[0] for r in torch_rates)
    cpu = statistics.median(r[1] for r in qkv_rates) / statistics.median(r[1] for r in torch_rates)
    print(f"\nspeed-up: {best:.2f}x best wall-clock rate, {cpu:.2f}x median CPU rate")
    if tmpdir:
        tmpdir.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
