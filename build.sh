#!/usr/bin/env bash
# build.sh: the one entry point to build and check engagehub-native.
#
# Usage: ./build.sh MODE...
#   lib      build the Go c-shared library (build/golib/libengagehub.so + header)
#   wheel    build a wheel into dist/ (carries the library; installs without Go)
#   gotest   go vet, then go test -race -shuffle=on over core/ and capi/
#   pytest   install the package (not editable) with its test extras into the
#            virtualenv $VENV, then run pytest there against the installed copy
#   test     gotest, then pytest: the whole suite (what the README and CI run)
#   bench    Go benchmarks of core/, the package's harness of the native API
#            (python -m engagehub_native bench), then the drop-ins' (benchmarks/dropin.py)
#   demo     install into $VENV and run the package's main job (python -m engagehub_native demo)
#   soak [SECONDS]  install into $VENV, then a steady load (tests/soak.py) for SECONDS
#            (default 600), sampling memory, threads and fds; fails unless they level off
#   fuzz [DURATION] every Go fuzz target of core/ and capi/, one at a time, for DURATION
#            each (a go test -fuzztime value, default 10m; e.g. 30s, 10000x)
# Modes run in the order given, each usable alone.
#
# Environment:
#   PYTHON   interpreter used to create the virtualenv (default: python3)
#   VENV     virtualenv folder (default: .venv in this folder)
#   GO       go binary (default: go on PATH)
#   PYTEST_ARGS  extra arguments for pytest (default: none)
#   BENCH_ARGS   extra arguments for both Python harnesses, e.g. --quick (default: none)
#   SOAK_ARGS    extra arguments for tests/soak.py, e.g. --rate 5000 (default: none)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-$ROOT/.venv}"
GO="${GO:-go}"
export CGO_ENABLED=1

say() { printf '\n==> %s\n' "$*"; }

venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating virtualenv $VENV"
        "$PYTHON" -m venv "$VENV"
        "$VENV/bin/python" -m pip install -q --upgrade pip
    fi
}

install_package() {
    venv
    say "installing engagehub-native[test] into $VENV"
    "$VENV/bin/python" -m pip install -q --force-reinstall --no-deps .
    "$VENV/bin/python" -m pip install -q ".[test]"
}

mode_lib() {
    say "building libengagehub.so"
    mkdir -p build/golib
    "$GO" build -buildmode=c-shared -trimpath \
        -ldflags "-s -w -extldflags=-Wl,-soname,libengagehub.so" \
        -o build/golib/libengagehub.so ./capi
}

mode_wheel() {
    venv
    say "building the wheel"
    "$VENV/bin/python" -m pip install -q build
    rm -rf dist
    "$VENV/bin/python" -m build --wheel --outdir dist .
    ls -l dist
}

mode_gotest() {
    say "go vet"
    "$GO" vet ./...
    say "go test -race"
    "$GO" test -race -shuffle=on -count=1 ./...
}

mode_pytest() {
    install_package
    say "pytest against the installed package"
    # Run from tests/ so the source tree's python/ folder is never imported.
    (cd tests && "$VENV/bin/python" -m pytest ${PYTEST_ARGS:-} .)
}

mode_test() {
    mode_gotest
    mode_pytest
}

mode_bench() {
    say "Go benchmarks of core/ (BenchmarkProcessor in core/stream: the Go processor alone, target >= 8 M events/s)"
    "$GO" test -run '^$' -bench . -benchmem ./core/...
    install_package
    "$VENV/bin/python" -m pip install -q ".[bench]"
    say "the package's harness: native API (python -m engagehub_native bench ${BENCH_ARGS:-})"
    "$VENV/bin/python" -m engagehub_native bench ${BENCH_ARGS:-}
    say "the drop-in modules (python benchmarks/dropin.py ${BENCH_ARGS:-})"
    "$VENV/bin/python" benchmarks/dropin.py ${BENCH_ARGS:-}
}

mode_demo() {
    install_package
    "$VENV/bin/python" -m engagehub_native demo
}

mode_soak() {
    local seconds="${1:-600}"
    install_package
    say "soak for $seconds s (tests/soak.py)"
    (cd tests && "$VENV/bin/python" soak.py "$seconds" ${SOAK_ARGS:-})
}

mode_fuzz() {
    local fuzztime="${1:-10m}" pkg target
    say "go fuzz targets of core/ and capi/, $fuzztime each"
    # go test -fuzz takes one target per invocation: run them one at a time.
    grep -rl --include='*_test.go' '^func Fuzz' core capi | sort | while read -r file; do
        pkg="./$(dirname "$file")"
        for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
            say "fuzz $pkg $target ($fuzztime)"
            "$GO" test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" "$pkg"
        done
    done
}

usage() { sed -n '2,26p' "$0"; }
[ $# -gt 0 ] || { usage; exit 2; }
while [ $# -gt 0 ]; do
    mode="$1"; shift
    case "$mode" in
        lib|wheel|gotest|pytest|test|bench|demo) "mode_$mode" ;;
        soak|fuzz)
            # an optional argument: a duration (starts with a digit)
            arg=""
            if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9] ]]; then arg="$1"; shift; fi
            "mode_$mode" $arg ;;
        *) echo "build.sh: unknown mode '$mode'" >&2; usage >&2; exit 2 ;;
    esac
done
