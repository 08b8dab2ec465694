"""Value, Array, RawValue, RawArray, synchronized and copy: shared with children by inheritance."""

from __future__ import annotations

import ctypes

import pytest

import processing
from processing import sharedctypes


class Point(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_double)]


def _change_all(value, array, text, raw_value, raw_array, raw_text, point):
    with value.getlock():
        value.value += 1
    array[0] = 42.0
    array[1:3] = [7.0, 8.0]
    text.value = b"bye"
    raw_value.value = -5
    raw_array[2] = 9
    raw_text.rawvalue = b"x\0yz"
    point.x = 11


@pytest.mark.timeout(60)
def test_children_see_and_change_the_same_memory(ctx):
    value = ctx.Value("i", 1)
    array = ctx.Array("d", [1.0, 2.0, 3.0])
    text = ctx.Array("c", b"hello")
    raw_value = ctx.RawValue(ctypes.c_long, 3)
    raw_array = ctx.RawArray("i", 4)
    raw_text = ctx.RawArray("c", 4)
    point = sharedctypes.Value(Point, 1, 2.5, ctx=ctx)

    child = ctx.Process(
        target=_change_all, args=(value, array, text, raw_value, raw_array, raw_text, point)
    )
    child.start()
    child.join(30)

    assert child.exitcode == 0
    assert value.value == 2
    assert array[:] == [42.0, 7.0, 8.0]
    assert (text.value, text.raw, text.rawvalue) == (b"bye", b"bye\0o", b"bye\0o")
    assert raw_value.value == -5
    assert list(raw_array) == [0, 0, 9, 0]
    assert (raw_text.value, raw_text.rawvalue) == (b"x", b"x\0yz")
    assert (point.x, point.y) == (11, 2.5)


def test_value_and_array_are_synchronized_by_default():
    value = processing.Value("i", 7)
    array = processing.Array("h", 3)
    assert isinstance(value, sharedctypes.Synchronized)
    assert isinstance(array, sharedctypes.SynchronizedArray)
    assert value.getobj().value == 7 and value.get_obj() is value.getobj()
    assert array[:] == [0, 0, 0] and len(array) == 3
    assert value.getlock() is value.get_lock()
    with value:  # the wrapper is a context manager holding its lock
        assert value.getlock()._semlock._count() == 1


def test_lock_argument():
    raw = processing.Value("d", 1.5, lock=False)
    assert isinstance(raw, ctypes.c_double)
    lock = processing.Lock()
    guarded = processing.Array("i", [1, 2], lock=lock)
    assert guarded.getlock() is lock
    with pytest.raises(AttributeError, match="has no method 'acquire': lock must be"):
        processing.Value("i", 1, lock="yes")


def test_synchronized_wraps_an_existing_raw_object_once():
    raw = processing.RawArray("c", b"abc")
    wrapped = sharedctypes.synchronized(raw)
    assert wrapped.value == b"abc"
    wrapped.rawvalue = b"xyz"
    assert raw.value == b"xyz"
    with pytest.raises(TypeError, match="already synchronized"):
        sharedctypes.synchronized(wrapped)


def test_copy_is_new_memory_with_the_same_contents():
    original = processing.RawArray("i", [1, 2, 3])
    duplicate = sharedctypes.copy(original)
    duplicate[0] = 100
    assert list(original) == [1, 2, 3]
    assert list(duplicate) == [100, 2, 3]


def test_structure_fields_are_locked_properties():
    point = processing.Value(Point, 3, 4.0)
    point.y = 0.5
    assert (point.x, point.y) == (3, 0.5)
    assert type(point).__name__ == "SynchronizedPoint"


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="unknown typecode 'z'"):
        processing.RawValue("z")
    with pytest.raises(ValueError, match="size_or_initializer"):
        processing.RawArray("i", -1)


def test_sharing_through_a_queue_is_refused_with_advice():
    queue = processing.SimpleQueue()
    try:
        with pytest.raises(RuntimeError, match="by inheritance"):
            queue.put(processing.RawValue("i", 1))
        with pytest.raises(RuntimeError, match="by inheritance"):
            queue.put(processing.Value("i", 1))
    finally:
        queue.close()
