#!/usr/bin/env bash
# The one comparison command: Functional vs PyTorch on the same network, data, batches and threads, printed as one table.
#
#   bench/compare.sh              # 5 interleaved runs of every figure (≈ 10 minutes on 2 cores)
#   bench/compare.sh --runs 9     # more runs, steadier medians
#   bench/compare.sh --figures epoch64,infer1
#
# Needs the full data set and PyTorch with the OpenMP OpenBLAS (Debian 12):
#   apt-get install -y dataset-fashion-mnist python3-torch python3-numpy libopenblas0-openmp
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
missing=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || [ -n "${FASHION_MNIST_DIR:-}" ] || missing+=(dataset-fashion-mnist)
/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || missing+=(python3-torch python3-numpy)
[ -d /usr/lib/x86_64-linux-gnu/openblas-openmp ] || missing+=(libopenblas0-openmp)
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing: ${missing[*]} — apt-get install -y ${missing[*]}" >&2
  exit 2
fi
dotnet build "$root/tests/Functional.Benchmarks" -c Release -nologo -v quiet >&2
exec dotnet "$root/tests/Functional.Benchmarks/bin/Release/net10.0/Functional.Benchmarks.dll" compare "$@"
