"""The early typed shared memory: ``SharedValue``, ``SharedStruct`` and ``SharedArray``.

Each is described by a ``struct`` format and lives in the stdlib's heap of shared arenas,
so a child that inherits one sees and changes the same bytes. They carry no lock (as in
processing 0.40): a single store of a native number is not torn, but guard read-modify-write
sequences with a ``Lock``, or use ``Value``/``Array``. Like the other shared-memory types
they are shared by inheritance (``Process(args=...)``), not through queues.

An array of a native number format (``'i'``, ``'d'``, ``'B'`` ...) is a ctypes array under the
hood, so ``a[i]`` costs what indexing a ``RawArray`` costs (a store of an integer is first
range-checked as ``struct`` does, so ``SharedArray('B', [256])`` raises ``struct.error``
instead of storing 0, as ``SharedValue('B', 256)`` does); other item formats (``'10s'``,
``'<h'`` ...) go through a cached ``struct.Struct``.
"""

from __future__ import annotations

import ctypes
import functools
import struct
from collections.abc import Iterable
from multiprocessing import heap
from typing import Any

from processing.sharedctypes import _inherit_only

__all__ = ["SharedArray", "SharedStruct", "SharedValue"]


@functools.lru_cache(maxsize=256)
def _struct(format: str) -> struct.Struct:
    if not isinstance(format, str):
        raise TypeError(f"format must be a struct format string, not {type(format).__name__}")
    try:
        return struct.Struct(format)
    except struct.error as exc:
        raise ValueError(f"format {format!r} is not a struct format: {exc}") from None


def _items(compiled: struct.Struct) -> int:
    return len(compiled.unpack(bytes(compiled.size)))


def _one_item(format: str, kind: str) -> struct.Struct:
    compiled = _struct(format)
    if _items(compiled) != 1:
        raise ValueError(
            f"{kind} needs a format for exactly one item (such as 'i', 'd' or '10s'), "
            f"not {format!r}; use SharedStruct for several"
        )
    return compiled


def _allocate(size: int) -> heap.BufferWrapper:
    """A zeroed block of shared memory: the heap hands out blocks that freed objects used,
    so without this a ``SharedValue('d')`` would start as whatever was there before (the
    stdlib's sharedctypes zeroes its objects the same way)."""
    wrapper = heap.BufferWrapper(max(size, 1))
    with wrapper.create_memoryview() as view:
        view[:] = bytes(len(view))
    return wrapper


class SharedStruct:
    """A ``struct`` in shared memory; ``value`` (or ``get()``/``set()``) is a tuple."""

    def __init__(self, format: str, value: Iterable[Any] | None = None) -> None:
        compiled = _struct(format)
        self._attach(format, compiled, _allocate(compiled.size))
        if value is not None:
            self.set(value)

    def _attach(self, format: str, compiled: struct.Struct, wrapper: heap.BufferWrapper) -> None:
        self._format = format
        self._wrapper = wrapper
        self._mem = wrapper.create_memoryview()[: compiled.size]
        self._unpack_from = compiled.unpack_from
        self._pack_into = compiled.pack_into

    @classmethod
    def _rebuild(cls, format: str, wrapper: heap.BufferWrapper) -> Any:
        obj = cls.__new__(cls)
        obj._attach(format, _struct(format), wrapper)
        return obj

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        _inherit_only(self)
        return type(self)._rebuild, (self._format, self._wrapper)

    @property
    def format(self) -> str:
        return self._format

    def get(self) -> Any:
        return self._unpack_from(self._mem)

    def set(self, value: Iterable[Any]) -> None:
        self._pack_into(self._mem, 0, *value)

    value = property(lambda self: self.get(), lambda self, value: self.set(value))

    def tobytes(self) -> bytes:
        """The raw bytes, as ``struct.pack`` would give them."""
        return self._mem.tobytes()

    tostring = tobytes

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._format!r}, {self.get()!r})"


class SharedValue(SharedStruct):
    """A single ``struct`` item in shared memory, e.g. ``SharedValue('i', 0)`` or
    ``SharedValue('256p', b'hello')``; ``value`` (or ``get()``/``set()``) is that item."""

    def __init__(self, format: str, value: Any = None) -> None:
        compiled = _one_item(format, "SharedValue")
        self._attach(format, compiled, _allocate(compiled.size))
        if value is not None:
            self.set(value)

    def get(self) -> Any:
        return self._unpack_from(self._mem)[0]

    def set(self, value: Any) -> None:
        self._pack_into(self._mem, 0, value)

    value = property(get, set)


#: Item formats whose values a ctypes array stores exactly as ``struct`` would.
_NATIVE = {
    "c": ctypes.c_char,
    "b": ctypes.c_byte,
    "B": ctypes.c_ubyte,
    "?": ctypes.c_bool,
    "h": ctypes.c_short,
    "H": ctypes.c_ushort,
    "i": ctypes.c_int,
    "I": ctypes.c_uint,
    "l": ctypes.c_long,
    "L": ctypes.c_ulong,
    "q": ctypes.c_longlong,
    "Q": ctypes.c_ulonglong,
    "n": ctypes.c_ssize_t,
    "N": ctypes.c_size_t,
    "f": ctypes.c_float,
    "d": ctypes.c_double,
}


def _is_char(format: str) -> bool:
    return format in ("c", "@c")


def _values(format: str, sequence: Iterable[Any]) -> Any:
    """The items to store: a ``'c'`` array takes bytes (or 1-byte items), others a list."""
    if _is_char(format):
        if isinstance(sequence, (bytes, bytearray, memoryview)):
            return bytes(sequence)
        return b"".join(sequence)
    return list(sequence)


class SharedArray:
    """An array of one ``struct`` item format in shared memory, e.g.
    ``SharedArray('d', [0.0] * 10)``: indexing and slicing, ``len``, iteration, ``value``
    (or ``get()``/``set()``) and ``tolist()`` as a list, ``tobytes()``."""

    _format: str

    def __new__(cls, format: str, sequence: Iterable[Any]) -> Any:
        compiled = _one_item(format, "SharedArray")
        values = _values(format, sequence)
        wrapper = _allocate(compiled.size * len(values))
        obj = _build(format, len(values), wrapper)
        obj[:] = values
        return obj

    def __init__(self, format: str, sequence: Iterable[Any]) -> None:
        """Everything happens in ``__new__``, which picks the storage for ``format``."""

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        _inherit_only(self)
        return _build, (self._format, len(self), self._wrapper)

    @property
    def format(self) -> str:
        return self._format

    def tolist(self) -> list[Any]:
        # A ctypes char array slices to bytes; iterating gives the items.
        return list(self) if _is_char(self._format) else self[:]

    def get(self) -> list[Any]:
        return self.tolist()

    def set(self, values: Iterable[Any]) -> None:
        values = _values(self._format, values)
        if len(values) != len(self):
            raise ValueError(f"{type(self).__name__} has {len(self)} items, not {len(values)}")
        self[:] = values

    value = property(get, set)

    def tobytes(self) -> bytes:
        return bytes(self._wrapper.create_memoryview()[: _struct(self._format).size * len(self)])

    tostring = tobytes

    def __repr__(self) -> str:
        return f"SharedArray({self._format!r}, {self.tolist()!r})"


class _StructArray(SharedArray):
    """Items of any single-item format, packed and unpacked with a cached ``Struct``."""

    def __len__(self) -> int:
        return self._length

    def _offset(self, index: int) -> int:
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("SharedArray index out of range")
        return index * self._itemsize

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        return self._unpack_from(self._mem, self._offset(index))[0]

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            positions = range(*index.indices(self._length))
            value = list(value)
            if len(value) != len(positions):
                raise ValueError("can only assign a sequence of the same length to a slice")
            for i, item in zip(positions, value):
                self._pack_into(self._mem, i * self._itemsize, item)
            return
        self._pack_into(self._mem, self._offset(index), value)

    def __iter__(self) -> Any:
        return (self[i] for i in range(self._length))


#: The native formats whose ctypes element silently wraps what ``struct`` refuses (an int
#: out of range, or not an int): stores to these are checked. Native ``'f'`` and ``'d'``
#: round and overflow the same way in both, and ``'?'`` takes any object in both.
_CHECKED = frozenset("bBhHiIlLqQnN")

#: How many array classes (one per format and length) are kept for reuse; a program that
#: makes arrays of ever new lengths pays one class creation each, not unbounded memory.
ARRAY_CLASS_CACHE_SIZE = 128


def _check_items(code: str, values: list[Any]) -> None:
    """Raise what ``struct.pack`` raises for ``values``: ``struct.error`` for an int out of
    range or not an int, as ``SharedValue`` does."""
    struct.pack(f"@{len(values)}{code}", *values)


class _CheckedStores:
    """Stores into a ctypes-backed array go through ``struct``'s range checks first, so
    ``a[i] = v`` raises exactly what ``SharedValue(format).value = v`` raises."""

    _code: str
    _low: int
    _high: int
    _store: Any  # the ctypes array type's own __setitem__

    def __setitem__(self, index: Any, value: Any) -> None:
        # The common store (one int in range) costs two comparisons; the rest is checked
        # by ``struct`` itself, so its errors are struct's.
        if value.__class__ is not int or not self._low <= value <= self._high:
            if isinstance(index, slice):
                value = list(value)
                _check_items(self._code, value)
            else:
                _check_items(self._code, [value])
        self._store(index, value)


def _int_range(code: str) -> tuple[int, int]:
    bits = 8 * struct.calcsize(code)
    if code.islower():
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


@functools.lru_cache(maxsize=ARRAY_CLASS_CACHE_SIZE)
def _ctypes_array_class(code: str, length: int) -> type:
    base = _NATIVE[code] * length
    if code not in _CHECKED:
        return type(base)("SharedArray", (SharedArray, base), {})
    low, high = _int_range(code)
    namespace = {"_code": code, "_low": low, "_high": high, "_store": base.__setitem__}
    return type(base)("SharedArray", (_CheckedStores, SharedArray, base), namespace)


def _build(format: str, length: int, wrapper: heap.BufferWrapper) -> Any:
    """The array of ``length`` items of ``format`` stored in ``wrapper``."""
    compiled = _struct(format)
    code = format.removeprefix("@")
    if code in _NATIVE:
        obj = _ctypes_array_class(code, length).from_buffer(wrapper.create_memoryview())
    else:
        obj = object.__new__(_StructArray)
        obj._mem = wrapper.create_memoryview()
        obj._length = length
        obj._itemsize = compiled.size
        obj._unpack_from = compiled.unpack_from
        obj._pack_into = compiled.pack_into
    obj._format = format
    obj._wrapper = wrapper
    return obj
