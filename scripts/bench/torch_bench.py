#!/usr/bin/python3
"""Time PyTorch on the shapes of `qkv bench` and print one JSON object.

Attention is the plain formula softmax(Q·Kᵀ/√d)·V on tensors of shape
[heads, n, d], as PyTorch 1.13 has no fused CPU attention. FLOP counts match
qkv: 4·n²·d per head forward, 12·n²·d with --backward, 2·m·n·k for gemm.

Used by compare.sh; run it with Debian's /usr/bin/python3 and python3-torch.
"""

import argparse
import json
import math
import resource
import statistics
import time

import torch


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def time_runs(fn, runs, warmup, repeat):
    """Return the sorted wall times per call of the timed runs, each of
    repeat calls, and their CPU time per call."""
    def repeated():
        for _ in range(repeat):
            fn()
    for _ in range(warmup):
        repeated()
    cpu_start = cpu_seconds()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        repeated()
        times.append((time.perf_counter() - start) / repeat)
    return sorted(times), (cpu_seconds() - cpu_start) / repeat


def attention_case(args, dtype):
    gen = torch.Generator().manual_seed(1)
    shape = (args.heads, args.n, args.d)
    q = torch.rand(shape, generator=gen, dtype=dtype) * 2 - 1
    k = torch.rand(shape, generator=gen, dtype=dtype) * 2 - 1
    v = torch.rand(shape, generator=gen, dtype=dtype) * 2 - 1
    scale = 1 / math.sqrt(args.d)
    mask = None
    if args.causal:
        mask = torch.ones(args.n, args.n, dtype=torch.bool).triu(1)

    def attend(q, k, v):
        s = torch.matmul(q, k.transpose(-2, -1)) * scale
        if mask is not None:
            s = s.masked_fill(mask, float("-inf"))
        return torch.matmul(torch.softmax(s, dim=-1), v)

    flops = 4 * args.n * args.n * args.d * args.heads
    if not args.backward:
        def run():
            with torch.no_grad():
                attend(q, k, v)
        return run, flops, "4·n²·d per head"

    for t in (q, k, v):
        t.requires_grad_(True)
    d_out = torch.rand(shape, generator=gen, dtype=dtype) * 2 - 1

    def run():
        for t in (q, k, v):
            t.grad = None
        attend(q, k, v).backward(d_out)
    return run, 3 * flops, "12·n²·d per head: 4 forward, 8 backward"


def gemm_case(args, dtype):
    gen = torch.Generator().manual_seed(3)
    a = torch.rand((args.m, args.k), generator=gen, dtype=dtype) * 2 - 1
    b = torch.rand((args.k, args.n), generator=gen, dtype=dtype) * 2 - 1

    def run():
        torch.matmul(a, b)
    return run, 2 * args.m * args.n * args.k, "2·m·n·k"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs; the median is reported (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (default 1)")
    parser.add_argument("--repeat", type=int, default=1, help="calls per run; times are per call (default 1)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    sub = parser.add_subparsers(dest="benchmark", required=True)
    att = sub.add_parser("attention", help="multi-head self-attention")
    att.add_argument("--n", type=int, default=1024, help="sequence length")
    att.add_argument("--d", type=int, default=64, help="head width")
    att.add_argument("--heads", type=int, default=1, help="number of heads")
    att.add_argument("--backward", action="store_true", help="time forward and backward")
    att.add_argument("--causal", action="store_true", help="apply a causal mask")
    gemm = sub.add_parser("gemm", help="torch.matmul of two random matrices")
    gemm.add_argument("--m", type=int, default=1024)
    gemm.add_argument("--n", type=int, default=1024)
    gemm.add_argument("--k", type=int, default=1024)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    dtype = torch.float32 if args.dtype == "float32" else torch.float64
    if args.benchmark == "attention":
        run, flops, count = attention_case(args, dtype)
        shape = {"n": args.n, "d": args.d, "heads": args.heads}
    else:
        run, flops, count = gemm_case(args, dtype)
        shape = {"m": args.m, "n": args.n, "k": args.k}
    times, cpu = time_runs(run, args.runs, args.warmup, args.repeat)
    med = statistics.median(times)
    print(json.dumps({
        "benchmark": args.benchmark,
        "shape": shape,
        "dtype": args.dtype,
        "backward": bool(getattr(args, "backward", False)),
        "threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "runs": len(times),
        "repeat": args.repeat,
        "median_seconds": med,
        "min_seconds": times[0],
        "flops": flops,
        "gflops": flops / med / 1e9,
        "flop_count": count,
        "cpu_seconds": cpu,
        "gflops_per_cpu_second": flops * len(times) / cpu / 1e9 if cpu > 0 else 0,
    }))


if __name__ == "__main__":
    main()
