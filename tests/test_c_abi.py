"""The C ABI itself, called raw through cffi: bad handles, errors and memory
are reported as statuses and never crash the process."""

from __future__ import annotations

import threading

import pytest

from engagehub_native import _library
from engagehub_native._errors import error_for

EH_OK, EH_ERR_INVALID_ARGUMENT, EH_ERR_INVALID_HANDLE = 0, 1, 2


@pytest.fixture(scope="module")
def native():
    return _library.load()


def take_error(ffi, lib):
    msg, length, errno = ffi.new("char **"), ffi.new("size_t *"), ffi.new("int *")
    if not lib.eh_error_take(msg, length, errno):
        return None
    try:
        return ffi.unpack(msg[0], length[0]).decode()
    finally:
        lib.eh_free(msg[0])


def test_abi_version(native):
    ffi, lib = native
    assert lib.eh_abi_version() == _library.ABI_VERSION


@pytest.mark.parametrize("handle", [0, 1, 2**64 - 1, 123456789])
def test_bogus_handles_are_statuses(native, handle):
    ffi, lib = native
    length = ffi.new("int64_t *")
    assert lib.eh_board_len(handle, length) == EH_ERR_INVALID_HANDLE
    assert "invalid handle" in take_error(ffi, lib)
    assert lib.eh_proc_push(handle, b"m", 1, b"u", 1, b"c", 1, 0) == EH_ERR_INVALID_HANDLE
    take_error(ffi, lib)
    assert lib.eh_board_free(handle) == EH_ERR_INVALID_HANDLE
    take_error(ffi, lib)


def test_stale_and_foreign_handles(native):
    ffi, lib = native
    out = ffi.new("uint64_t *")
    assert lib.eh_board_new(0.9, 0, out) == EH_OK
    board = out[0]
    stats = ffi.new("eh_proc_counters *")
    assert lib.eh_proc_stats(board, stats) == EH_ERR_INVALID_HANDLE  # a board is not a processor
    take_error(ffi, lib)
    assert lib.eh_board_free(board) == EH_OK
    assert lib.eh_board_free(board) == EH_ERR_INVALID_HANDLE  # double free
    take_error(ffi, lib)
    assert lib.eh_board_update(board, b"u", 1, 1.0, 1) == EH_ERR_INVALID_HANDLE
    take_error(ffi, lib)


def test_invalid_utf8_and_bad_values_are_refused(native):
    ffi, lib = native
    out = ffi.new("uint64_t *")
    assert lib.eh_board_new(0.9, 0, out) == EH_OK
    board = out[0]
    try:
        assert lib.eh_board_update(board, b"\xc3\x28", 2, 1.0, 1) == EH_ERR_INVALID_ARGUMENT
        assert "UTF-8" in take_error(ffi, lib)
        assert lib.eh_board_update(board, b"u", 1, float("nan"), 1) == EH_ERR_INVALID_ARGUMENT
        assert take_error(ffi, lib)
        page = ffi.new("eh_page *")
        buffer = ffi.new("char[]", 64)
        assert lib.eh_board_page(board, -1, 5, 0.0, buffer, 64, page) == EH_ERR_INVALID_ARGUMENT
        take_error(ffi, lib)
        # ids list without its last separator
        assert lib.eh_board_update_many(board, b"a\xffb", 3, ffi.new("double[]", [1, 2]),
                                        ffi.new("int64_t[]", [1, 1]), 2) == EH_ERR_INVALID_ARGUMENT
        take_error(ffi, lib)
        length = ffi.new("int64_t *")
        assert lib.eh_board_len(board, length) == EH_OK and length[0] == 0
    finally:
        lib.eh_board_free(board)
    assert lib.eh_board_new(1.5, 0, out) == EH_ERR_INVALID_ARGUMENT
    take_error(ffi, lib)
    assert lib.eh_board_new(0.9, -1, out) == EH_ERR_INVALID_ARGUMENT
    take_error(ffi, lib)


def test_push_many_field_lengths_must_add_up(native):
    ffi, lib = native
    config = ffi.new("eh_proc_config *")
    out = ffi.new("uint64_t *")
    assert lib.eh_proc_new(config, out) == EH_OK
    proc = out[0]
    accepted = ffi.new("size_t *")
    stamps = ffi.new("int64_t[]", [0])
    try:
        assert lib.eh_proc_push_many(proc, b"muc", 3, ffi.new("int64_t[]", [1, 1, 1]), stamps, 1,
                                     accepted) == EH_OK
        assert accepted[0] == 1
        for lengths in ([1, 1, 2], [1, 1, 0], [-1, 2, 2], [0, 0, 0]):
            assert lib.eh_proc_push_many(proc, b"muc", 3, ffi.new("int64_t[]", lengths), stamps, 1,
                                         accepted) == EH_ERR_INVALID_ARGUMENT
            assert "do not add up" in take_error(ffi, lib)
        assert lib.eh_proc_push_many(proc, b"\xc3(uc", 4, ffi.new("int64_t[]", [2, 1, 1]), stamps, 1,
                                     accepted) == EH_ERR_INVALID_ARGUMENT
        assert "event 0" in take_error(ffi, lib) and accepted[0] == 0
        # Without lengths, fields are NUL-separated.
        assert lib.eh_proc_push_many(proc, b"m\0u\0c", 5, ffi.NULL, stamps, 1, accepted) == EH_OK
        assert accepted[0] == 1
        for bad in [b"m\0u", b"m\0u\0c\0d", b""]:
            assert lib.eh_proc_push_many(proc, bad, len(bad), ffi.NULL, stamps, 1,
                                         accepted) == EH_ERR_INVALID_ARGUMENT
            assert "NUL-separated" in take_error(ffi, lib)
    finally:
        assert lib.eh_proc_close(proc, 1000) == EH_OK
        assert lib.eh_proc_free(proc) == EH_OK


def test_done_of_an_unknown_batch_is_an_error(native):
    ffi, lib = native
    config = ffi.new("eh_proc_config *")
    out = ffi.new("uint64_t *")
    assert lib.eh_proc_new(config, out) == EH_OK
    try:
        assert lib.eh_proc_done(out[0], 42) == EH_ERR_INVALID_ARGUMENT
        assert "not handed out" in take_error(ffi, lib)
    finally:
        lib.eh_proc_free(out[0])


def test_last_error_is_per_thread(native):
    ffi, lib = native
    barrier = threading.Barrier(8)
    failures = []

    def work(k):
        length = ffi.new("int64_t *")
        barrier.wait()
        for _ in range(200):
            out = ffi.new("uint64_t *")
            status = lib.eh_board_new(1.0 + k, 0, out)  # k > 0: invalid decay
            if k == 0:
                assert status == EH_OK
                lib.eh_board_free(out[0])
                if lib.eh_board_len(0, length) != EH_ERR_INVALID_HANDLE:
                    failures.append("status")
                if "invalid handle" not in take_error(ffi, lib):
                    failures.append("thread 0 saw another thread's message")
            else:
                message = take_error(ffi, lib)
                if f"decay_factor {1 + k}," not in (message or ""):
                    failures.append(f"thread {k} got {message!r}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_page_that_does_not_fit_reports_the_size_it_needs(native):
    ffi, lib = native
    out = ffi.new("uint64_t *")
    assert lib.eh_board_new(1.0, 0, out) == EH_OK
    board = out[0]
    try:
        for i in range(3):
            assert lib.eh_board_update(board, b"user%d" % i, 5, 1.0 + i, 1) == EH_OK
        page = ffi.new("eh_page *")
        small = ffi.new("char[]", 8)
        assert lib.eh_board_page(board, 0, 10, 1.0, small, 8, page) == EH_OK
        assert page.count == 0 and page.needed == 3 * 16 + 3 * 6
        big = ffi.new("char[]", page.needed)
        assert lib.eh_board_page(board, 0, 10, 1.0, big, page.needed, page) == EH_OK
        assert page.count == 3 and page.first_rank == 1 and page.ids_length == 18
        assert ffi.unpack(ffi.cast("double *", big), 3) == [3.0, 2.0, 1.0]
        assert ffi.unpack(big + 48, 18) == b"user2\xffuser1\xffuser0\xff"
        assert lib.eh_board_page(board, 0, 10, 1.0, ffi.NULL, 0, page) == EH_OK  # NULL: size only
        assert page.count == 0 and page.needed == 66
    finally:
        lib.eh_board_free(board)


def test_no_error_to_take_and_free_null(native):
    ffi, lib = native
    take_error(ffi, lib)
    assert take_error(ffi, lib) is None
    lib.eh_free(ffi.NULL)


def test_error_for_capacity_status(native):
    ffi, lib = native
    exc = error_for(ffi, lib, 8)
    assert type(exc).__name__ == "CapacityError" and isinstance(exc, RuntimeError)


def test_error_for_unknown_status_is_internal(native):
    ffi, lib = native
    exc = error_for(ffi, lib, 12345)
    assert type(exc).__name__ == "InternalError" and "12345" in str(exc)
