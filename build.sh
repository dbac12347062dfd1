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
# Modes run in the order given, each usable alone.
#
# Environment:
#   PYTHON   interpreter used to create the virtualenv (default: python3)
#   VENV     virtualenv folder (default: .venv in this folder)
#   GO       go binary (default: go on PATH)
#   PYTEST_ARGS  extra arguments for pytest (default: none)
#   BENCH_ARGS   extra arguments for both Python harnesses, e.g. --quick (default: none)
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

[ $# -gt 0 ] || { sed -n '2,23p' "$0"; exit 2; }
for mode in "$@"; do
    case "$mode" in
        lib|wheel|gotest|pytest|test|bench|demo) "mode_$mode" ;;
        *) echo "build.sh: unknown mode '$mode'" >&2; sed -n '2,23p' "$0" >&2; exit 2 ;;
    esac
done
