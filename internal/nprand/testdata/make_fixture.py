#!/usr/bin/python3
"""Writes numpy.json: numbers drawn by numpy's legacy RandomState.

Run from this directory with /usr/bin/python3 (numpy 1.24). Floats are
written with repr, which round-trips exactly through Go's ParseFloat.
"""
import json

import numpy as np

SEEDS = [0, 1, 42, 12345, 2**32 - 1]
# Indices into a run of 1000 samples: the start, both sides of the first
# state twist (each sample uses two 32-bit outputs, so sample 312 is the
# first after a twist) and the end.
SAMPLE_INDICES = [0, 1, 2, 3, 4, 311, 312, 313, 623, 624, 999]

cases = []
for seed in SEEDS:
    rs = np.random.RandomState(seed)
    uint32 = rs.randint(0, 2**32, size=8, dtype=np.uint32).tolist()

    np.random.seed(seed)
    samples = np.random.random_sample(1000)

    np.random.seed(seed)
    uniform = np.random.uniform(-2.5, 4.0, (2, 3)).tolist()

    np.random.seed(seed)
    demo = {
        "x": np.random.uniform(-1, 1, (4, 4)).tolist(),
        "wq": np.random.uniform(-1, 1, (4, 3)).tolist(),
        "wk": np.random.uniform(-1, 1, (4, 3)).tolist(),
        "wv": np.random.uniform(-1, 1, (4, 3)).tolist(),
    }
    cases.append({
        "seed": seed,
        "uint32": uint32,
        "sample_indices": SAMPLE_INDICES,
        "samples": [float(samples[i]) for i in SAMPLE_INDICES],
        "uniform_low": -2.5,
        "uniform_high": 4.0,
        "uniform": uniform,
        "demo": demo,
    })

with open("numpy.json", "w") as f:
    json.dump({"numpy_version": np.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
