"""weights_only=True: an unpickler that only builds tensors, plain containers, numbers and strings.

It follows torch._weights_only_unpickler's rules: globals come from an allowlist (never
imported by name), only allowlisted callables are called (REDUCE, NEWOBJ), BUILD only fills
OrderedDicts, Parameters and allowlisted types, APPEND only extends lists, SETITEM only fills
dicts, and persistent ids must name storages. A file that names anything else (``os.system``,
``builtins.eval``) is refused before anything runs. Beyond torch's protocol-2 opcodes it also reads
the data-only opcodes of protocols 3-5 (framing, bytes, short strings, sets), so files saved with
``pickle_protocol=4`` load too.
"""

from __future__ import annotations

import collections
import pickle
import struct
from pickle import UnpicklingError

from ember._serialization_rebuild import _OLD_MODULES, safe_globals, set_state

BLOCKED_MODULES = ("sys", "os", "posix", "nt")
_user_globals = set()  # add_safe_globals: objects, or (object, "module.name") pairs


def user_globals():
    """The user's allowlist as {"module.name": object}."""
    named = {}
    for entry in _user_globals:
        obj, name = entry if isinstance(entry, tuple) else (
            entry, f"{entry.__module__}.{entry.__qualname__}")
        named[name] = obj
    return named


def find_safe_global(module, name):
    """The allowlisted object for a global, or torch's UnpicklingError."""
    module = _OLD_MODULES.get(module, module)
    full = f"{module}.{name}"
    if module in BLOCKED_MODULES:
        raise UnpicklingError(f"Trying to load unsupported GLOBAL {full} whose module {module} "
                              "is blocked.")
    found = safe_globals().get((module, name))
    if found is None:
        found = user_globals().get(full)
    if found is None:
        shown = full[len("builtins."):] if full.startswith("builtins.") else full
        raise UnpicklingError(
            f"Unsupported global: GLOBAL {shown} was not an allowed global by default. Please use "
            f"`ember.serialization.add_safe_globals([{shown}])` or the "
            f"`ember.serialization.safe_globals([{shown}])` context manager to allowlist this "
            "global if you trust this class/function.")
    return found


_STOP = object()
_CHUNK = 1 << 20
_OPS = {}  # opcode byte -> handler(unpickler)


def _op(*opcodes):
    def register(handler):
        for opcode in opcodes:
            _OPS[opcode[0]] = handler
        return handler

    return register


class RestrictedUnpickler:
    """Reads one pickle from ``file``; ``persistent_load(pid)`` turns storage ids into storages."""

    def __init__(self, file, persistent_load, encoding="utf-8"):
        self.read, self.readline = file.read, file.readline
        self.persistent_load, self.encoding = persistent_load, encoding
        self.memo = {}

    def load(self):
        self.stack, self.metastack = [], []
        self.allowed = {id(obj) for obj in safe_globals().values()}
        self.user_types = {id(obj) for obj in user_globals().values()}
        self.allowed |= self.user_types
        try:
            while True:
                code = self.read(1)
                if not code:
                    raise EOFError("Ran out of input")
                handler = _OPS.get(code[0])
                if handler is None:
                    raise UnpicklingError(f"Unsupported operand {code[0]}")
                if handler(self) is _STOP:
                    return self.stack.pop()
        except (IndexError, KeyError, TypeError, ValueError, AttributeError, struct.error) as e:
            raise UnpicklingError(f"malformed pickle data ({type(e).__name__}: {e})") from None

    def take(self, n):
        """Exactly ``n`` bytes. Large reads go in chunks, so a crafted length cannot make the file
        object allocate it up front."""
        chunks, left = [], n
        while left > 0:
            chunk = self.read(min(left, _CHUNK))
            if not chunk:
                raise UnpicklingError("pickle data was truncated")
            chunks.append(chunk)
            left -= len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def unpack(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def pop_mark(self):
        items, self.stack = self.stack, self.metastack.pop()
        return items

    def push(self, value):
        self.stack.append(value)


# -- constants, numbers, strings --------------------------------------------------------------

_CONSTANTS = {pickle.NONE: lambda: None, pickle.NEWTRUE: lambda: True,
              pickle.NEWFALSE: lambda: False, pickle.EMPTY_TUPLE: tuple,
              pickle.EMPTY_LIST: list, pickle.EMPTY_DICT: dict, pickle.EMPTY_SET: set}
for _code, _make in _CONSTANTS.items():
    _OPS[_code[0]] = lambda u, make=_make: u.push(make())

_NUMBERS = {pickle.BININT: "<i", pickle.BININT1: "<B", pickle.BININT2: "<H",
            pickle.BINFLOAT: ">d"}
for _code, _fmt in _NUMBERS.items():
    _OPS[_code[0]] = lambda u, fmt=_fmt: u.push(u.unpack(fmt))

# opcode -> (length format, kind)
_SIZED = {pickle.BINUNICODE: ("<I", "str"), pickle.SHORT_BINUNICODE: ("<B", "str"),
          pickle.BINUNICODE8: ("<Q", "str"), pickle.BINBYTES: ("<I", "bytes"),
          pickle.SHORT_BINBYTES: ("<B", "bytes"), pickle.BINBYTES8: ("<Q", "bytes"),
          pickle.BYTEARRAY8: ("<Q", "bytearray"), pickle.SHORT_BINSTRING: ("<B", "py2str"),
          pickle.BINSTRING: ("<i", "py2str"), pickle.LONG1: ("<B", "long"),
          pickle.LONG4: ("<i", "long")}


def _sized(u, fmt, kind):
    n = u.unpack(fmt)
    if n < 0:
        raise UnpicklingError("negative length in pickle data")
    data = u.take(n)
    if kind == "str":
        u.push(str(data, "utf-8", "surrogatepass"))
    elif kind == "long":
        u.push(int.from_bytes(data, "little", signed=True))
    elif kind == "py2str":  # a Python 2 str: decoded as torch.load's ``encoding`` says
        u.push(data if u.encoding == "bytes" else data.decode(u.encoding, "strict"))
    else:
        u.push(bytes(data) if kind == "bytes" else bytearray(data))


for _code, (_fmt, _kind) in _SIZED.items():
    _OPS[_code[0]] = lambda u, fmt=_fmt, kind=_kind: _sized(u, fmt, kind)


# -- stack, memo, framing ---------------------------------------------------------------------


@_op(pickle.PROTO)
def _proto(u):
    u.take(1)


@_op(pickle.FRAME)
def _frame(u):
    u.take(8)  # a frame's length is only a read-ahead hint


@_op(pickle.STOP)
def _stop(u):
    return _STOP


@_op(pickle.MARK)
def _mark(u):
    u.metastack.append(u.stack)
    u.stack = []


@_op(pickle.POP)
def _pop(u):
    u.stack.pop()


@_op(pickle.POP_MARK)
def _pop_mark(u):
    u.pop_mark()


@_op(pickle.DUP)
def _dup(u):
    u.push(u.stack[-1])


@_op(pickle.BINGET)
def _get(u):
    u.push(u.memo[u.unpack("<B")])


@_op(pickle.LONG_BINGET)
def _long_get(u):
    u.push(u.memo[u.unpack("<I")])


@_op(pickle.BINPUT)
def _put(u):
    u.memo[u.unpack("<B")] = u.stack[-1]


@_op(pickle.LONG_BINPUT)
def _long_put(u):
    u.memo[u.unpack("<I")] = u.stack[-1]


@_op(pickle.MEMOIZE)
def _memoize(u):
    u.memo[len(u.memo)] = u.stack[-1]


# -- containers -------------------------------------------------------------------------------


@_op(pickle.TUPLE)
def _tuple(u):
    u.push(tuple(u.pop_mark()))


def _tuple_of(n):
    def handler(u):
        if len(u.stack) < n:
            raise UnpicklingError("pickle stack underflow")
        items = tuple(u.stack[-n:])
        del u.stack[-n:]
        u.push(items)

    return handler


for _n, _code in enumerate((pickle.TUPLE1, pickle.TUPLE2, pickle.TUPLE3), start=1):
    _OPS[_code[0]] = _tuple_of(_n)


@_op(pickle.FROZENSET)
def _frozenset(u):
    u.push(frozenset(u.pop_mark()))


def _target(u, kinds, opcode):
    target = u.stack[-1]
    if type(target) not in kinds:
        names = ", ".join(k.__name__ for k in kinds)
        raise UnpicklingError(f"Can only {opcode} for {names}, but got {type(target)}")
    return target


_DICTS = (dict, collections.OrderedDict, collections.Counter)


@_op(pickle.APPEND)
def _append(u):
    item = u.stack.pop()
    _target(u, (list,), "APPEND").append(item)


@_op(pickle.APPENDS)
def _appends(u):
    items = u.pop_mark()
    _target(u, (list,), "APPENDS").extend(items)


@_op(pickle.SETITEM)
def _setitem(u):
    value, key = u.stack.pop(), u.stack.pop()
    _target(u, _DICTS, "SETITEM")[key] = value


@_op(pickle.SETITEMS)
def _setitems(u):
    items = u.pop_mark()
    target = _target(u, _DICTS, "SETITEMS")
    for i in range(0, len(items), 2):
        target[items[i]] = items[i + 1]


@_op(pickle.ADDITEMS)
def _additems(u):
    items = u.pop_mark()
    _target(u, (set,), "ADDITEMS").update(items)


# -- globals, calls, objects ------------------------------------------------------------------


@_op(pickle.GLOBAL)
def _global(u):
    module = u.readline()[:-1].decode("utf-8")
    name = u.readline()[:-1].decode("utf-8")
    u.push(find_safe_global(module, name))


@_op(pickle.STACK_GLOBAL)
def _stack_global(u):
    name, module = u.stack.pop(), u.stack.pop()
    if type(name) is not str or type(module) is not str:
        raise UnpicklingError("STACK_GLOBAL requires str")
    u.push(find_safe_global(module, name))


@_op(pickle.REDUCE)
def _reduce(u):
    args = u.stack.pop()
    func = u.stack[-1]
    if id(func) not in u.allowed or type(args) is not tuple:
        raise UnpicklingError(f"Trying to call reduce for unrecognized function {func!r}")
    u.stack[-1] = func(*args)


@_op(pickle.NEWOBJ)
def _newobj(u):
    from ember.nn.parameter import Parameter

    args, cls = u.stack.pop(), u.stack.pop()
    if type(args) is not tuple:
        raise UnpicklingError("NEWOBJ expected an argument tuple")
    if cls is Parameter:
        u.push(Parameter(*args))
    elif id(cls) in u.allowed and isinstance(cls, type):
        u.push(cls.__new__(cls, *args))
    else:
        raise UnpicklingError("Can only create new object for nn.Parameter or classes "
                              f"allowlisted via `add_safe_globals` but got {cls!r}")


@_op(pickle.BUILD)
def _build(u):
    from ember.nn.parameter import Parameter

    state = u.stack.pop()
    inst = u.stack[-1]
    if type(inst) is collections.OrderedDict and type(state) is dict:
        inst.__dict__.update(state)  # a state dict's ``_metadata``
    elif type(inst) is Parameter:
        set_state(inst, state)
    elif id(type(inst)) in u.user_types:
        _build_allowlisted(inst, state)
    else:
        raise UnpicklingError("Can only build Tensor, Parameter, OrderedDict or types allowlisted "
                              f"via `add_safe_globals`, but got {type(inst)}")


def _build_allowlisted(inst, state):
    """pickle's BUILD for a type the user allowlisted."""
    if hasattr(inst, "__setstate__"):
        inst.__setstate__(state)
        return
    slots = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    if state:
        inst.__dict__.update(state)
    for name, value in (slots or {}).items():
        setattr(inst, name, value)


@_op(pickle.BINPERSID)
def _persid(u):
    pid = u.stack.pop()
    kind = pid[0] if type(pid) is tuple and pid else None
    if isinstance(kind, bytes):
        kind = kind.decode("ascii")
    if kind != "storage":
        raise UnpicklingError(f"Only persistent_load of storage is allowed, but got {pid!r}")
    u.push(u.persistent_load(pid))
