"""SharedValue, SharedStruct and SharedArray: typed shared memory described by struct formats."""

from __future__ import annotations

import gc
import pickle
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import processing
from processing.sharedtypes import SharedArray, SharedStruct, SharedValue


def _change_all(value, record, numbers, words, chars):
    value.value = 7
    record.set((3, 4.5))
    numbers[1] = 99
    numbers[-1] += 1
    words[0] = b"zz"
    chars[2] = b"!"


@pytest.mark.timeout(60)
def test_children_see_and_change_the_same_memory(ctx):
    value = ctx.SharedValue("i", 1)
    record = ctx.SharedStruct("hd", (1, 2.0))
    numbers = ctx.SharedArray("q", range(4))
    words = ctx.SharedArray("2s", [b"ab", b"cd"])
    chars = ctx.SharedArray("c", b"xyz")

    child = ctx.Process(target=_change_all, args=(value, record, numbers, words, chars))
    child.start()
    child.join(30)

    assert child.exitcode == 0
    assert value.value == 7
    assert record.value == (3, 4.5)
    assert numbers.tolist() == [0, 99, 2, 4]
    assert words.tolist() == [b"zz", b"cd"]
    assert chars.tobytes() == b"xy!"


def test_shared_value():
    value = SharedValue("256p", b"hello")
    assert value.value == value.get() == b"hello"
    value.set(b"goodbye")
    assert repr(value) == "SharedValue('256p', b'goodbye')"
    assert value.tobytes() == value.tostring() == struct.pack("256p", b"goodbye")
    assert value.format == "256p"
    assert SharedValue("d").value == 0.0  # zeroed when no value is given


def test_shared_struct():
    record = SharedStruct("<hq?", (1, -2, True))
    assert record.value == (1, -2, True)
    record.value = (5, 6, False)
    assert record.get() == (5, 6, False)
    assert record.tobytes() == struct.pack("<hq?", 5, 6, False)
    assert repr(record) == "SharedStruct('<hq?', (5, 6, False))"


@pytest.mark.parametrize("format", ["i", "@d", "<h", "3s"])
def test_shared_array_indexing_and_slicing(format):
    items = [b"ab", b"cd", b"ef", b"gh"] if format == "3s" else [1, 2, 3, 4]
    expected = [b"ab\0", b"cd\0", b"ef\0", b"gh\0"] if format == "3s" else items
    array = SharedArray(format, items)
    assert len(array) == 4
    assert array[0] == expected[0] and array[-1] == expected[-1]
    assert array[1:3] == expected[1:3]
    assert array[::2] == expected[::2]
    assert list(array) == array.tolist() == array.value == array.get() == expected
    array[1] = expected[0]
    assert array[1] == expected[0]
    array.set(expected[::-1])
    assert array.tolist() == expected[::-1]
    assert array.tobytes() == array.tostring() == b"".join(
        struct.pack(format, item) for item in expected[::-1]
    )
    assert isinstance(array, SharedArray)
    with pytest.raises(IndexError):
        array[4]


def test_shared_array_errors_name_the_problem():
    with pytest.raises(ValueError, match="exactly one item"):
        SharedValue("ii", 1)
    with pytest.raises(ValueError, match="exactly one item"):
        SharedArray("2i", [1])
    with pytest.raises(ValueError, match="not a struct format"):
        SharedStruct("Z", (1,))
    with pytest.raises(TypeError, match="format must be"):
        SharedValue(5, 1)
    with pytest.raises(ValueError, match="has 2 items, not 3"):
        SharedArray("i", [1, 2]).set([1, 2, 3])
    with pytest.raises(ValueError, match="same length"):
        SharedArray("<i", [1, 2])[0:2] = [1]


def test_shared_types_are_shared_by_inheritance_only():
    for obj in (SharedValue("i", 1), SharedStruct("ii", (1, 2)), SharedArray("i", [1])):
        with pytest.raises(RuntimeError, match="by inheritance"):
            pickle.dumps(obj)


def test_available_from_package_local_manager_and_context():
    local = processing.LocalManager()
    with local:
        assert local.SharedValue("i", 3).value == 3
        assert local.SharedStruct("hh", (1, 2)).value == (1, 2)
        assert local.SharedArray("d", [1.5]).tolist() == [1.5]
        assert local.Value("i", 4).value == 4
        assert local.Array("c", b"ab").value == b"ab"
        assert local.RawArray("i", 2)[:] == [0, 0]
        assert local.Lock().acquire(timeout=1)
    assert processing.SharedArray("B", b"\x01\x02").tolist() == [1, 2]


@settings(max_examples=40, deadline=None)
@given(
    format=st.sampled_from(["q", "<q", ">q"]),
    items=st.lists(st.integers(-(2**63), 2**63 - 1), max_size=20),
)
def test_shared_array_round_trips_any_int64s(format, items):
    array = SharedArray(format, items)
    assert array.tolist() == items
    assert array.tobytes() == b"".join(struct.pack(format, i) for i in items)


# -- stores are checked as struct checks them -----------------------------------------------


@pytest.mark.parametrize(
    ("format", "bad"),
    [("i", 2**40), ("B", 256), ("B", -1), ("b", 128), ("H", -1), ("q", 2**63), ("Q", -1),
     ("@i", 2**31), ("i", 1.5), ("B", "x")],
)
def test_an_item_struct_refuses_raises_struct_error_like_shared_value(format, bad):
    with pytest.raises(struct.error) as from_value:
        SharedValue(format, bad)
    with pytest.raises(struct.error) as from_array:
        SharedArray(format, [bad])
    assert str(from_array.value) == str(from_value.value)

    array = SharedArray(format, [1, 2, 3])
    with pytest.raises(struct.error):
        array[1] = bad
    with pytest.raises(struct.error):
        array[0:2] = [4, bad]
    with pytest.raises(struct.error):
        array.set([5, 6, bad])
    assert array.tolist() == [1, 2, 3]  # nothing of a refused store was written


def test_the_2_pow_40_and_byte_wrap_reproducers_raise():
    with pytest.raises(struct.error, match="'i' format requires"):
        SharedArray("i", [2**40])
    with pytest.raises(struct.error, match="format requires 0 <= number <= 255"):
        SharedArray("B", [256, -1])


def test_in_range_stores_still_work_everywhere():
    array = SharedArray("B", [0, 255])
    array[0] += 7
    array[-1] = 0
    array[::2] = [9]
    assert array.tolist() == [9, 0]
    assert SharedArray("?", [2, 0]).tolist() == [True, False]  # as struct.pack('?', 2)


@settings(max_examples=60, deadline=None)
@given(
    format=st.sampled_from(list("bBhHiIlLqQnN")),
    items=st.lists(st.integers(-(2**65), 2**65), min_size=1, max_size=8),
)
def test_an_array_stores_exactly_what_struct_packs(format, items):
    try:
        expected = struct.pack(f"{len(items)}{format}", *items)
    except struct.error:
        with pytest.raises(struct.error):
            SharedArray(format, items)
    else:
        assert SharedArray(format, items).tobytes() == expected


@settings(max_examples=200, deadline=None)
@given(
    format=st.sampled_from(list("bBhHiIlLqQnN")),
    value=st.one_of(
        st.integers(-(2**65), 2**65),
        # the edges of every width, where the fast path's comparisons decide
        st.sampled_from([e + d for b in (8, 16, 32, 64) for e in
                         (2**b, 2**(b - 1), -(2**(b - 1))) for d in (-1, 0, 1)]),
        st.booleans(),
    ),
)
def test_a_single_item_store_is_what_struct_packs(format, value):
    array = SharedArray(format, [0, 0])
    try:
        expected = struct.pack(format, value)
    except struct.error:
        with pytest.raises(struct.error):
            array[1] = value
        assert array.tolist() == [0, 0]
    else:
        array[1] = value
        assert array.tobytes()[len(expected):] == expected


def test_the_array_class_cache_stays_bounded():
    import gc
    import weakref

    from processing import sharedtypes

    first = SharedArray("i", range(3))
    evicted = weakref.ref(type(first))
    for length in range(1, 3 * sharedtypes.ARRAY_CLASS_CACHE_SIZE):
        SharedArray("d", [0.0] * length)
    info = sharedtypes._ctypes_array_class.cache_info()
    assert info.currsize <= sharedtypes.ARRAY_CLASS_CACHE_SIZE
    assert first.tolist() == [0, 1, 2]  # an evicted class still serves its arrays
    del first
    gc.collect()
    assert evicted() is None  # and is freed with them


def test_a_new_value_starts_from_zeros_where_freed_ones_were():
    """The shared heap reuses the blocks of freed objects; a new object must not show what
    an earlier one left there."""
    for _ in range(20):
        kept = [processing.SharedValue("d", 4.2e233) for _ in range(8)]
        del kept
        gc.collect()
        fresh = [processing.SharedValue("d") for _ in range(8)]
        assert [v.value for v in fresh] == [0.0] * 8
