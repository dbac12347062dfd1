#!/usr/bin/env bash
# ab_go.sh: a Go benchmark of core/stream before and after a change, in
# alternating rounds of one run (the machine's load then weighs on both).
#
# Usage: benchmarks/ab_go.sh BASE_REV [ROUNDS] [BENCH_REGEX] [BENCHTIME]
#   BASE_REV     the "before" revision (e.g. main, a commit)
#   ROUNDS       alternating rounds (default 8)
#   BENCH_REGEX  default '^BenchmarkProcessor$'
#   BENCHTIME    default 3000000x
# Prints each round's lines, then the median and the best (lowest time,
# highest rate) of every metric for both sides. The working tree is the "after" side.
set -euo pipefail
base_rev="$1"; rounds="${2:-8}"; bench="${3:-^BenchmarkProcessor\$}"; benchtime="${4:-3000000x}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
git -C "$root" archive "$base_rev" | tar -x -C "$tmp"
mkdir -p "$tmp/bin"
(cd "$tmp" && go test -c -o "$tmp/bin/base.test" ./core/stream/)
(cd "$root" && go test -c -o "$tmp/bin/after.test" ./core/stream/)
for i in $(seq "$rounds"); do
    for side in base after; do
        (cd "$root/core/stream" && "$tmp/bin/$side.test" -test.run '^$' -test.bench "$bench" \
            -test.benchtime "$benchtime" | grep '^Benchmark' | sed "s/^/$side /")
    done
done | tee "$tmp/rounds.txt"
python3 - "$tmp/rounds.txt" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    side, name, _, *rest = line.split()
    for value, unit in zip(rest[0::2], rest[1::2]):
        rows.setdefault((name, unit), {}).setdefault(side, []).append(float(value))
for (name, unit), sides in rows.items():
    b, a = sides.get("base", []), sides.get("after", [])
    if not b or not a or not any(b):
        continue
    best, word = (max, "best") if unit.endswith("/s") else (min, "best")
    mb, ma = statistics.median(b), statistics.median(a)
    bb, ba = best(b), best(a)
    print(f"{name} {unit}: median {mb:.1f} -> {ma:.1f} ({(ma - mb) / mb * 100:+.1f} %), "
          f"{word} {bb:.1f} -> {ba:.1f} ({(ba - bb) / bb * 100:+.1f} %)")
PY
