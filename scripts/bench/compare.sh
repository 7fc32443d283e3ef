#!/usr/bin/env bash
# compare.sh runs qkv and PyTorch on the same shapes, one after the other
# for each shape, and writes a markdown table into docs/benchmarks.md
# between the "compare:begin" and "compare:end" markers (or to stdout with
# --stdout).
#
# Usage: scripts/bench/compare.sh [--quick] [--stdout]
#   --quick   fewer shapes and runs, for a smoke test (about a minute)
#   --stdout  print the section instead of editing docs/benchmarks.md
#
# Environment: THREADS (default 2) sets GOMAXPROCS for qkv and
# torch.set_num_threads for PyTorch; RUNS (default 5) the timed runs.
# PyTorch comes from Debian's python3-torch via /usr/bin/python3. Debian's
# torch.matmul calls the system libblas.so.3, which is the slow reference
# BLAS unless OpenBLAS is installed:
#   apt-get install libopenblas0-pthread
set -euo pipefail

cd "$(dirname "$0")/../.."
root=$(pwd)
threads=${THREADS:-2}
runs=${RUNS:-5}
quick=0
to_stdout=0
for arg in "$@"; do
	case $arg in
	--quick) quick=1 ;;
	--stdout) to_stdout=1 ;;
	*)
		echo "compare.sh: unknown argument $arg; use --quick or --stdout" >&2
		exit 2
		;;
	esac
done

python=/usr/bin/python3
if ! "$python" -c "import torch" 2>/dev/null; then
	echo "compare.sh: $python cannot import torch; install Debian's python3-torch" >&2
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/qkv" ./cmd/qkv

export GOMAXPROCS=$threads
export OMP_WAIT_POLICY=PASSIVE
export OMP_NUM_THREADS=$threads
export OPENBLAS_NUM_THREADS=$threads

# Forward shapes (n heads) and forward+backward shapes, d = 64.
if ((quick)); then
	forward=("128 1" "512 8" "2048 1")
	backward=("128 8")
	runs=3
else
	forward=("128 1" "128 8" "512 1" "512 8" "2048 1" "2048 8" "4096 1" "4096 8")
	backward=("${forward[@]}")
fi

json_field() { "$python" -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }

fma=$("$work/qkv" bench fma --seconds 2 --json)
peak=$(json_field gflops <<<"$fma")
peak_cpu=$(json_field gflops_per_cpu_second <<<"$fma")

rows=()
add_row() { # label shape qkv-json torch-json
	local q t qc tc
	q=$(json_field gflops <<<"$3")
	t=$(json_field gflops <<<"$4")
	qc=$(json_field gflops_per_cpu_second <<<"$3")
	tc=$(json_field gflops_per_cpu_second <<<"$4")
	rows+=("$("$python" -c '
import sys
label, shape, q, t, qc, tc, peak, peak_cpu = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:])
print(f"| {label} | {shape} | {q:.1f} | {t:.1f} | {q / t:.2f} | {qc:.1f} | {tc:.1f} | {qc / tc:.2f} | {100 * qc / peak_cpu:.0f} % |")
' "$1" "$2" "$q" "$t" "$qc" "$tc" "$peak" "$peak_cpu")")
	echo "${rows[-1]}" >&2
}

# repeat_for n h: calls per timed run, so that a run of a small shape does
# about as much work as one head at n = 1024 (about 0.27 GFLOP).
repeat_for() { echo $(((1024 * 1024 + $1 * $1 * $2 - 1) / ($1 * $1 * $2))); }

for shape in "${forward[@]}"; do
	read -r n h <<<"$shape"
	rep=$(repeat_for "$n" "$h")
	q=$("$work/qkv" bench attention --n "$n" --d 64 --heads "$h" --runs "$runs" --repeat "$rep" --json 2>/dev/null)
	t=$("$python" scripts/bench/torch_bench.py --threads "$threads" --runs "$runs" --repeat "$rep" attention --n "$n" --d 64 --heads "$h")
	add_row "attention forward" "n=$n, h=$h" "$q" "$t"
done
for shape in "${backward[@]}"; do
	read -r n h <<<"$shape"
	rep=$(repeat_for "$n" "$h")
	q=$("$work/qkv" bench attention --n "$n" --d 64 --heads "$h" --backward --runs "$runs" --repeat "$rep" --json 2>/dev/null)
	t=$("$python" scripts/bench/torch_bench.py --threads "$threads" --runs "$runs" --repeat "$rep" attention --n "$n" --d 64 --heads "$h" --backward)
	add_row "attention forward+backward" "n=$n, h=$h" "$q" "$t"
done
q=$("$work/qkv" bench gemm --m 1024 --n 1024 --k 1024 --runs "$runs" --json 2>/dev/null)
t=$("$python" scripts/bench/torch_bench.py --threads "$threads" --runs "$runs" gemm --m 1024 --n 1024 --k 1024)
add_row "SGEMM (torch.matmul, OpenBLAS)" "1024³" "$q" "$t"

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
torch_version=$("$python" -c "import torch; print(torch.__version__)")
section=$(
	cat <<MD
<!-- compare:begin (written by scripts/bench/compare.sh) -->
Measured $(date -u +"%Y-%m-%d %H:%M UTC") with \`scripts/bench/compare.sh$( ((quick)) && echo " --quick")\`:
$threads threads (GOMAXPROCS and torch.set_num_threads), OMP_WAIT_POLICY=PASSIVE,
median of $runs runs after one warm-up run, d = 64, float32, no mask. A run of a
shape with n²·h < 1024² repeats the call 1024²/(n²·h) times (rounded up)
and counts the time per call.

- Machine: $cpu, $(nproc) CPUs; load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)
- $(go version | cut -d' ' -f3-4), qkv kernel path $("$work/qkv" bench gemm --m 8 --n 8 --k 8 --runs 1 --json 2>/dev/null | json_field kernel_path)
- PyTorch $torch_version (Debian python3-torch)
- Measured FMA peak (\`qkv bench fma\`, $threads threads): $(printf '%.1f' "$peak") GFLOP/s, $(printf '%.1f' "$peak_cpu") GFLOP per CPU-second
- BLAS behind torch.matmul: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo unknown) (\`apt-get install libopenblas0-pthread\`; without it Debian's torch.matmul uses the reference BLAS)

GFLOP/s divide the operation count by the median wall time of a call.
GFLOP per CPU-second divide it by the user plus system CPU time of the
timed runs (getrusage). On a loaded machine, where threads wait for a
core, it is the fairer measure of the code, though it also counts time
that threads spend spinning or waiting for each other. The share of the
FMA peak divides qkv's GFLOP per CPU-second by the FMA loop's, that is by
the peak of one core, so it does not depend on how many cores the other
processes left free.

| benchmark | shape | qkv GFLOP/s | PyTorch GFLOP/s | ratio | qkv GFLOP per CPU-s | PyTorch GFLOP per CPU-s | ratio per CPU-s | qkv share of FMA peak |
|---|---|---:|---:|---:|---:|---:|---:|---:|
$(printf '%s\n' "${rows[@]}")
<!-- compare:end -->
MD
)

if ((to_stdout)); then
	printf '%s\n' "$section"
	exit 0
fi
doc=docs/benchmarks.md
if ! grep -q '<!-- compare:begin' "$doc" || ! grep -q '<!-- compare:end -->' "$doc"; then
	echo "compare.sh: $doc lacks the compare:begin and compare:end markers" >&2
	exit 1
fi
"$python" - "$doc" "$section" <<'PY'
import re, sys
path, section = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
text = re.sub(r"<!-- compare:begin.*?<!-- compare:end -->", lambda _: section, text, flags=re.S)
tmp = path + ".tmp"
open(tmp, "w", encoding="utf-8").write(text)
import os
os.replace(tmp, path)
PY
echo "compare.sh: updated $root/$doc" >&2
