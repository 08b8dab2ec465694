"""ctypes objects in shared memory: ``Value``, ``Array``, ``RawValue``, ``RawArray``.

The memory comes from the stdlib's heap of shared arenas (``multiprocessing.heap``: on
POSIX an unlinked file mapped into every process that inherits it, so nothing is left in
``/dev/shm`` when the program ends). The objects are shared by inheritance: pass them to
``Process(args=...)``, not through a queue. The synchronized wrappers call the lock's own
``acquire``/``release`` (C methods, bound once) around each access, with no Python-level
``__enter__`` in between; an array of ``c_char`` has ``value``, ``raw`` and the 0.52
``rawvalue``.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Sequence
from multiprocessing import context as _stdlib_context
from multiprocessing import heap
from multiprocessing import sharedctypes as _stdlib
from multiprocessing.reduction import ForkingPickler
from typing import Any

from processing import _stdlib as _seam

__all__ = [
    "Array",
    "RawArray",
    "RawValue",
    "Synchronized",
    "SynchronizedArray",
    "SynchronizedBase",
    "SynchronizedString",
    "Value",
    "copy",
    "synchronized",
    "typecode_to_type",
]

#: The ``array`` module typecodes that may stand for a ctypes type.
typecode_to_type: dict[str, Any] = dict(_stdlib.typecode_to_type)


def _ctype(typecode_or_type: Any) -> Any:
    if isinstance(typecode_or_type, str):
        try:
            return typecode_to_type[typecode_or_type]
        except KeyError:
            raise ValueError(
                f"unknown typecode {typecode_or_type!r}: use one of "
                f"{' '.join(sorted(typecode_to_type))} or a ctypes type"
            ) from None
    return typecode_or_type


def _inherit_only(obj: Any) -> None:
    if _stdlib_context.get_spawning_popen() is None:
        raise RuntimeError(
            f"{type(obj).__name__} objects in shared memory can only be shared with a child "
            "process by inheritance: pass it to Process(args=...) or to "
            "Pool(initializer=..., initargs=...), not through a Queue, a Pipe or a manager"
        )


# -- raw objects ---------------------------------------------------------------------------


def _get_rawvalue(self: Any) -> bytes:
    return self.raw


def _set_rawvalue(self: Any, value: bytes) -> None:
    self.raw = value


@functools.cache
def _char_array(length: int) -> Any:
    """``c_char * length`` with the 0.52 ``rawvalue`` beside ctypes' ``value`` and ``raw``."""
    base = ctypes.c_char * length
    return type(base)(base.__name__, (base,), {"rawvalue": property(_get_rawvalue, _set_rawvalue)})


def _array_type(element: Any, length: int) -> Any:
    return _char_array(length) if element is ctypes.c_char else element * length


def _on_heap(type_: Any, wrapper: heap.BufferWrapper) -> Any:
    obj = type_.from_buffer(wrapper.create_memoryview())
    obj._wrapper = wrapper
    ForkingPickler.register(type_, _reduce_ctype)
    return obj


def _rebuild_array(element: Any, length: int, wrapper: heap.BufferWrapper) -> Any:
    return _on_heap(_array_type(element, length), wrapper)


def _reduce_ctype(obj: Any) -> tuple[Any, tuple[Any, ...]]:
    _inherit_only(obj)
    if isinstance(obj, ctypes.Array):
        return _rebuild_array, (obj._type_, obj._length_, obj._wrapper)
    return _on_heap, (type(obj), obj._wrapper)


def _new(type_: Any) -> Any:
    """A zeroed instance of ``type_`` in shared memory."""
    obj = _on_heap(type_, heap.BufferWrapper(ctypes.sizeof(type_)))
    ctypes.memset(ctypes.addressof(obj), 0, ctypes.sizeof(obj))
    return obj


def RawValue(typecode_or_type: Any, *args: Any) -> Any:
    """A ctypes object in shared memory, without a lock."""
    obj = _new(_ctype(typecode_or_type))
    obj.__init__(*args)
    return obj


def RawArray(typecode_or_type: Any, size_or_initializer: int | Sequence[Any]) -> Any:
    """A ctypes array in shared memory, without a lock: zeroed if given a size."""
    element = _ctype(typecode_or_type)
    if isinstance(size_or_initializer, int):
        if size_or_initializer < 0:
            raise ValueError(f"size_or_initializer must be >= 0, not {size_or_initializer}")
        return _new(_array_type(element, size_or_initializer))
    initializer = list(size_or_initializer)
    obj = _new(_array_type(element, len(initializer)))
    obj.__init__(*initializer)
    return obj


def copy(obj: Any) -> Any:
    """A new shared ctypes object (no lock) holding a copy of ``obj``'s contents."""
    new = _new(type(obj))
    ctypes.pointer(new)[0] = obj
    return new


# -- synchronized wrappers -----------------------------------------------------------------


class SynchronizedBase(_stdlib.SynchronizedBase):
    """A ctypes object with the lock that guards it; ``with wrapper:`` holds the lock."""

    def __init__(self, obj: Any, lock: Any = None, ctx: Any = None) -> None:
        super().__init__(obj, lock, ctx)
        self._shared = obj  # the hot paths below read it without a method call

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        _inherit_only(self)
        return synchronized, (self._shared, self.get_lock())

    def getobj(self) -> Any:
        """The wrapped ctypes object (access it only while holding the lock)."""
        return self._shared

    def getlock(self) -> Any:
        """The lock that guards the object."""
        return self.get_lock()


def _locked_property(name: str) -> property:
    def get(self: Any) -> Any:
        self.acquire()
        try:
            return getattr(self._shared, name)
        finally:
            self.release()

    def set(self: Any, value: Any) -> None:
        self.acquire()
        try:
            setattr(self._shared, name, value)
        finally:
            self.release()

    return property(get, set, doc=f"``{name}``, read and written under the lock")


class Synchronized(SynchronizedBase):
    """A shared simple ctypes value whose ``value`` is read and written under the lock."""

    @property
    def value(self) -> Any:
        self.acquire()
        try:
            return self._shared.value
        finally:
            self.release()

    @value.setter
    def value(self, value: Any) -> None:
        self.acquire()
        try:
            self._shared.value = value
        finally:
            self.release()


class SynchronizedArray(SynchronizedBase):
    """A shared ctypes array whose items and slices are read and written under the lock."""

    def __len__(self) -> int:
        return len(self._shared)

    def __getitem__(self, index: Any) -> Any:
        self.acquire()
        try:
            return self._shared[index]
        finally:
            self.release()

    def __setitem__(self, index: Any, value: Any) -> None:
        self.acquire()
        try:
            self._shared[index] = value
        finally:
            self.release()


class SynchronizedString(SynchronizedArray):
    """A shared array of ``c_char``: ``value`` up to the first NUL, ``raw`` all of it."""

    value = _locked_property("value")
    raw = _locked_property("raw")
    rawvalue = _locked_property("raw")


_structure_wrappers: dict[type, type] = {}


def synchronized(obj: Any, lock: Any = None, ctx: Any = None) -> Any:
    """Wrap the shared ctypes object ``obj`` with ``lock`` (default: a new ``RLock``)."""
    if isinstance(obj, _stdlib.SynchronizedBase):
        raise TypeError(f"{obj!r} is already synchronized")
    if lock is None:
        from processing._defaultctx import default_context

        lock = (ctx or default_context.get_context()).RLock()
    if _seam.is_simple_ctype(obj):
        return Synchronized(obj, lock)
    if isinstance(obj, ctypes.Array):
        if obj._type_ is ctypes.c_char:
            return SynchronizedString(obj, lock)
        return SynchronizedArray(obj, lock)
    cls = type(obj)
    if cls not in _structure_wrappers:
        fields = {name: _locked_property(name) for name, *_ in cls._fields_}
        _structure_wrappers[cls] = type(f"Synchronized{cls.__name__}", (SynchronizedBase,), fields)
    return _structure_wrappers[cls](obj, lock)


def _with_lock(obj: Any, lock: Any, ctx: Any) -> Any:
    if lock is False:
        return obj
    if lock is True or lock is None:
        lock = None
    elif not hasattr(lock, "acquire"):
        # AttributeError, as the stdlib raises: code written for it catches that.
        raise AttributeError(
            f"{lock!r} has no method 'acquire': lock must be True, False or a lock object"
        )
    return synchronized(obj, lock, ctx)


def Value(typecode_or_type: Any, *args: Any, lock: Any = True, ctx: Any = None) -> Any:
    """A shared ctypes object guarded by ``lock`` (True: a new ``RLock``; False: none)."""
    return _with_lock(RawValue(typecode_or_type, *args), lock, ctx)


def Array(
    typecode_or_type: Any,
    size_or_initializer: int | Sequence[Any],
    *,
    lock: Any = True,
    ctx: Any = None,
) -> Any:
    """A shared ctypes array guarded by ``lock`` (True: a new ``RLock``; False: none)."""
    return _with_lock(RawArray(typecode_or_type, size_or_initializer), lock, ctx)
