#!/usr/bin/env bash
# Times the search verb's two-stage random search against the same study in Optuna + PyTorch (bench/optuna_study.py), run by run, and prints the medians.
#
#   bench/search_compare.sh                                          # issue 13's study, 3 runs of each side
#   bench/search_compare.sh --runs 1 --stage coarse:4x1 --stage fine:2x1   # a quick check that both sides work
#
# Options:
#   --runs N        runs of each side, interleaved, the side going first alternating (default 3)
#   --stage S       a stage NAME:TRIALSxEPOCHS, repeated in order, for both sides (default coarse:24x1 fine:12x3)
#   --narrow-top N  each later stage narrows around the best N complete trials of the one before, both sides (default 5)
#   --optuna ARGS   how Optuna uses the two cores (default "--jobs 2 --threads 1": two trials at once, one torch
#                   thread each, its faster configuration here; see docs/performance.md)
#
# Both sides: lr ∈ logU[1e-4, 1], L2 ∈ logU[1e-6, 1e-1], SGD momentum 0.9, batch 64, seed 1, the same 55,000/5,000
# split, the 3× early kill, the fine stage narrowed around the coarse stage's top 5. Ours runs as the README shows it:
# `search --workers 2` (two worker threads, one kernel thread each) on a fresh SQLite file in a temporary directory.
# A side's time is its whole command, start to exit, loading the data included; the Release build is not timed.
#
# Needs the full data set, PyTorch with the OpenMP OpenBLAS and Optuna (Debian 12):
#   apt-get install -y dataset-fashion-mnist python3-torch python3-numpy libopenblas0-openmp python3-optuna
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=3
stages=()
optuna_args="--jobs 2 --threads 1"
top=5
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --stage) stages+=(--stage "$2"); shift 2 ;;
    --optuna) optuna_args="$2"; shift 2 ;;
    --narrow-top) top="$2"; shift 2 ;;
    *) sed -n '2,14p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
  esac
done
[ ${#stages[@]} -gt 0 ] || stages=(--stage coarse:24x1 --stage fine:12x3)
space=(--lr 1e-4..1:log --l2 1e-6..1e-1:log)

missing=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || [ -n "${FASHION_MNIST_DIR:-}" ] || missing+=(dataset-fashion-mnist)
/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || missing+=(python3-torch python3-numpy)
/usr/bin/python3 -c 'import optuna' 2>/dev/null || missing+=(python3-optuna)
[ -d /usr/lib/x86_64-linux-gnu/openblas-openmp ] || missing+=(libopenblas0-openmp)
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing: ${missing[*]} — apt-get install -y ${missing[*]}" >&2
  exit 2
fi

dotnet build "$root/examples/FashionMnist" -c Release -nologo -v quiet >&2
dll="$root/examples/FashionMnist/bin/Release/net10.0/FashionMnist.dll"
work="$(mktemp -d)"
echo "logs in $work; load before: $(uptime | sed 's/.*load average: //')"

now() { date +%s.%N; }

# Each side appends "SIDE SECONDS ACCURACY LR L2 KILLED" to $work/results.
ours() {
  local log="$work/functional-$1.log" start end
  start=$(now)
  (cd "$work" && dotnet "$dll" search "${stages[@]}" "${space[@]}" --workers 2 --batch 64 --seed 1 --narrow-top "$top" \
      --study "compare$1" --storage "sqlite:$work/study-$1.db") >"$log" 2>&1
  end=$(now)
  # "best: trial 12 (fine), score 0.8772; …" then the train command with the best trial's --lr and --l2.
  local acc lr l2 killed
  acc=$(sed -n 's/^best: trial .* score \([0-9.]*\);.*/\1/p' "$log")
  lr=$(sed -n 's/.* train .* --lr \([^ ]*\) .*/\1/p' "$log")
  l2=$(sed -n 's/.* train .* --l2 \([^ ]*\) .*/\1/p' "$log")
  killed=$(grep -c '^ *[0-9.]*s .*: failed ' "$log" || true)
  echo "functional $(awk "BEGIN { print $end - $start }") $acc $lr $l2 $killed" | tee -a "$work/results"
}

theirs() {
  local log="$work/optuna-$1.log" start end line
  start=$(now)
  # shellcheck disable=SC2086 # optuna_args is a list of words
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 "$root/bench/optuna_study.py" \
      "${stages[@]}" "${space[@]}" --batch 64 --seed 1 --narrow-top "$top" $optuna_args >"$log" 2>&1
  end=$(now)
  line=$(grep '^optuna_study ' "$log")
  field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
  echo "optuna $(awk "BEGIN { print $end - $start }") $(field best_val_acc) $(field best_lr) $(field best_l2) $(field killed)" | tee -a "$work/results"
}

echo "side seconds best_val_acc best_lr best_l2 killed"
for ((r = 1; r <= runs; r++)); do
  if ((r % 2)); then ours "$r"; theirs "$r"; else theirs "$r"; ours "$r"; fi
done
echo "load after: $(uptime | sed 's/.*load average: //')"

/usr/bin/python3 - "$work/results" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
side = {name: [(float(r[1]), float(r[2])) for r in rows if r[0] == name] for name in ("functional", "optuna")}
ours, theirs = side["functional"], side["optuna"]
t_ours, t_theirs = statistics.median(t for t, _ in ours), statistics.median(t for t, _ in theirs)
a_ours, a_theirs = statistics.median(a for _, a in ours), statistics.median(a for _, a in theirs)
ratios = [t2 / t1 for (t1, _), (t2, _) in zip(ours, theirs)]
print(f"median of {len(ours)} run(s)   wall time   best val acc")
print(f"Functional search     {t_ours:8.1f} s   {100 * a_ours:6.2f} %")
print(f"Optuna + PyTorch      {t_theirs:8.1f} s   {100 * a_theirs:6.2f} %")
print(f"Optuna ÷ Functional: {t_theirs / t_ours:.2f}× (per run {min(ratios):.2f}–{max(ratios):.2f}×; goal ≥ 2.5×)")
print(f"accuracy, Functional − Optuna: {100 * (a_ours - a_theirs):+.2f} points (goal ≥ −0.5)")
EOF
