"""The C ABI itself, called raw through cffi: bad handles, errors and memory
are reported as statuses and never crash the process."""

from __future__ import annotations

import threading

import pytest

from engagehub_native import _library
from engagehub_native._errors import error_for

@pytest.fixture(scope="module")
def native():
    return _library.load()


@pytest.fixture(scope="module", autouse=True)
def statuses(native):
    """The status codes, read from the library like the package reads them."""
    global EH_OK, EH_ERR_INVALID_ARGUMENT, EH_ERR_INVALID_HANDLE
    _, lib = native
    EH_OK, EH_ERR_INVALID_ARGUMENT = lib.EH_OK, lib.EH_ERR_INVALID_ARGUMENT
    EH_ERR_INVALID_HANDLE = lib.EH_ERR_INVALID_HANDLE


def update(lib, ffi, board, user_id: bytes, points: float, timestamp: int) -> int:
    """One update through the bulk export, as the package sends them."""
    refused = ffi.new("size_t *")
    return lib.eh_board_update_many(board, user_id + b"\xff", len(user_id) + 1,
                                    ffi.new("double[]", [points]),
                                    ffi.new("int64_t[]", [timestamp]), 1, -1, 1, refused)


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
    result = ffi.new("eh_push_result *")
    assert lib.eh_proc_push_many(handle, b"u\xffc\xff", 4, ffi.new("int64_t[]", [0]), 1,
                                 result) == EH_ERR_INVALID_HANDLE
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
    assert update(lib, ffi, board, b"u", 1.0, 1) == EH_ERR_INVALID_HANDLE
    take_error(ffi, lib)


def test_invalid_utf8_and_bad_values_are_refused(native):
    ffi, lib = native
    out = ffi.new("uint64_t *")
    assert lib.eh_board_new(0.9, 0, out) == EH_OK
    board = out[0]
    try:
        assert update(lib, ffi, board, b"\xc3\x28", 1.0, 1) == EH_ERR_INVALID_ARGUMENT
        assert "UTF-8" in take_error(ffi, lib)
        # Submitted without waiting, a refusal is reported by the next call.
        refused = ffi.new("size_t *")
        future = b"\xffmallory\xff"
        assert lib.eh_board_update_many(board, future, len(future), ffi.new("double[]", [1, 1]),
                                        ffi.new("int64_t[]", [1, 2**62]), 2, 40, 0,
                                        refused) == EH_OK
        assert update(lib, ffi, board, b"later", 1.0, 1) == EH_ERR_INVALID_ARGUMENT
        assert 'update 41 (user "mallory"): ' in (error := take_error(ffi, lib))
        assert "too far in the future" in error
        assert update(lib, ffi, board, b"later", 1.0, 1) == EH_OK, "reported once"
        assert update(lib, ffi, board, b"u", float("nan"), 1) == EH_ERR_INVALID_ARGUMENT
        assert 'update of user "u" at 1: ' in take_error(ffi, lib)
        page, first = ffi.new("eh_list *"), ffi.new("int64_t *")
        assert lib.eh_board_page(board, -1, 5, 0.0, page, first) == EH_ERR_INVALID_ARGUMENT
        take_error(ffi, lib)
        # ids list without its last end byte
        refused = ffi.new("size_t *")
        assert lib.eh_board_update_many(board, b"a\xffb", 3, ffi.new("double[]", [1, 2]),
                                        ffi.new("int64_t[]", [1, 1]), 2, 0, 1,
                                        refused) == EH_ERR_INVALID_ARGUMENT
        take_error(ffi, lib)
        length = ffi.new("int64_t *")
        assert lib.eh_board_len(board, length) == EH_OK and length[0] == 2  # "" and "later"
    finally:
        lib.eh_board_free(board)
    assert lib.eh_board_new(1.5, 0, out) == EH_ERR_INVALID_ARGUMENT
    take_error(ffi, lib)
    assert lib.eh_board_new(0.9, -1, out) == EH_ERR_INVALID_ARGUMENT
    take_error(ffi, lib)


def test_push_many_takes_one_string_list(native):
    ffi, lib = native
    config = ffi.new("eh_proc_config *", {"buffer_size": 1000})
    out = ffi.new("uint64_t *")
    assert lib.eh_proc_new(config, out) == EH_OK
    assert config.buffer_size == 1024 and config.batch_size == 1, "the values in force come back"
    proc = out[0]
    result = ffi.new("eh_push_result *")
    stamps = ffi.new("int64_t[]", [0, 0])
    try:
        assert lib.eh_proc_push_many(proc, b"u1\xffu\x002\xffc1\xff\xff", 11, stamps, 2,
                                     result) == EH_OK
        assert result.accepted == 2 and result.kept_from == 0 and result.room <= 1024
        for bad in [b"u\xffc", b"u\xffc\xffd\xff", b"", b"\xc3(\xffc\xff"]:
            assert lib.eh_proc_push_many(proc, bad, len(bad), stamps, 1,
                                         result) == EH_ERR_INVALID_ARGUMENT
            assert "list" in take_error(ffi, lib) and result.accepted == 0
        mark = ffi.new("uint64_t *")
        assert lib.eh_proc_flush_begin(proc, mark) == EH_OK
        assert lib.eh_proc_flush_wait(proc, mark[0], 5000, 0) == EH_OK  # analysed
        top = ffi.new("eh_list *")
        assert lib.eh_proc_top_channels(proc, 5, top) == EH_OK
        ids, reals, counts = _library.read_list(top, reals=False, ints=True)
        assert sorted(ids) == ["", "c1"] and reals is None and counts == [1, 1]
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


def test_done_next_acknowledges_then_hands_out_the_next_batch(native):
    ffi, lib = native
    config = ffi.new("eh_proc_config *", {"batch_size": 1})
    out = ffi.new("uint64_t *")
    assert lib.eh_proc_new(config, out) == EH_OK
    proc = out[0]
    result = ffi.new("eh_push_result *")
    counters = ffi.new("eh_proc_counters *")
    batch = ffi.new("eh_batch *")
    try:
        assert lib.eh_proc_set_consumer(proc, 1) == EH_OK
        assert lib.eh_proc_push_many(proc, b"u1\xffu2\xffc\xffc\xff", 10,
                                     ffi.new("int64_t[]", [0, 0]), 2, result) == EH_OK
        assert result.accepted == 2
        assert lib.eh_proc_done_next(proc, 0, 5000, batch) == EH_OK  # 0: nothing to acknowledge
        first = batch.id
        assert batch.count == 1 and batch.first == 0
        assert lib.eh_proc_done_next(proc, first, 5000, batch) == EH_OK
        assert batch.count == 1 and batch.first == 1 and batch.id != first
        assert lib.eh_proc_stats(proc, counters) == EH_OK
        assert counters.delivered == 1 and counters.handed_out == 2
        # An acknowledgement that fails is reported, and nothing is handed out.
        assert lib.eh_proc_done_next(proc, first, 5000, batch) == EH_ERR_INVALID_ARGUMENT
        assert "not handed out" in take_error(ffi, lib)
        assert batch.count == 0 and batch.id == 0
    finally:
        assert lib.eh_proc_close(proc, 0) in (EH_OK, lib.EH_ERR_TIMEOUT)
        lib.eh_proc_free(proc)


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


def test_page_is_one_block_with_three_columns(native):
    ffi, lib = native
    out = ffi.new("uint64_t *")
    assert lib.eh_board_new(1.0, 0, out) == EH_OK
    board = out[0]
    try:
        for i in range(3):
            assert update(lib, ffi, board, b"user%d" % i, 1.0 + i, 10 + i) == EH_OK
        page, first = ffi.new("eh_list *"), ffi.new("int64_t *")
        assert lib.eh_board_page(board, 1, 10, 20.0, page, first) == EH_OK
        assert page.count == 2 and first[0] == 2 and page.strings_length == 12
        assert ffi.unpack(page.strings, 12) == b"user1\xffuser0\xff"
        assert _library.read_list(page, reals=True, ints=True) == (
            ["user1", "user0"], [2.0, 1.0], [11, 10])
        assert lib.eh_board_page(board, 5, 10, 20.0, page, first) == EH_OK
        assert page.count == 0 and page.block == ffi.NULL, "an empty list holds no block"
    finally:
        lib.eh_board_free(board)


def test_no_error_to_take_and_free_null(native):
    ffi, lib = native
    take_error(ffi, lib)
    assert take_error(ffi, lib) is None
    lib.eh_free(ffi.NULL)


def test_error_for_capacity_status(native):
    ffi, lib = native
    exc = error_for(ffi, lib, lib.EH_ERR_CAPACITY)
    assert type(exc).__name__ == "CapacityError" and isinstance(exc, RuntimeError)


def test_error_for_unknown_status_is_internal(native):
    ffi, lib = native
    exc = error_for(ffi, lib, 12345)
    assert type(exc).__name__ == "InternalError" and "12345" in str(exc)
