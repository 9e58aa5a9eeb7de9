"""add_graph: a GraphDef from one traced run of an Ember model.

torch traces with the JIT; Ember has no JIT, so the trace is the autograd graph of one forward
run. The inputs are cloned from leaves that require grad, so every op downstream of them records
a node; walking ``grad_fn.next_functions`` back from the outputs finds the ops, and forward hooks
on every submodule tell which module each op ran in: when a module's forward returns, the nodes
reachable from its outputs that are not yet claimed, stopping at its inputs' nodes, are its own
(inner modules return first, so they claim first).

Names follow torch's scopes: ``Net/Sequential[fc]/Linear[0]/addmm``; inputs are
``input/<argument>``, outputs ``output/output.<n>``; parameters are ``prim::GetAttr`` nodes in
their module's scope. Op kinds are ``aten::`` plus the backward node's name in snake case
(``AddmmBackward0`` -> ``aten::addmm``), so they name the primitive Ember ran, which may differ
from the call the JIT records (``aten::linear``). Ops that record no autograd node (on
integers, or whose inputs do not require grad) do not appear, nor do constants and buffers.
"""

from __future__ import annotations

import contextlib
import inspect
import re

from tensorboardX.proto.attr_value_pb2 import AttrValue
from tensorboardX.proto.graph_pb2 import GraphDef
from tensorboardX.proto.node_def_pb2 import NodeDef
from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboardX.proto.versions_pb2 import VersionDef

import ember
from ember.autograd.function import BackwardCFunction
from ember.nn import Module

_ACCUMULATE = "torch::autograd::AccumulateGrad"


def graph(model, args, verbose: bool = False) -> GraphDef:
    """The GraphDef of one run of ``model`` on ``args`` (a tensor, or a tuple or list of
    arguments), in eval mode."""
    args = () if args is None else tuple(args) if isinstance(args, (tuple, list)) else (args,)
    tracer = _ScopeTracer(model)
    try:
        with _eval_mode(model), ember.enable_grad():
            inputs = [_traceable(a) for a in args]
            outputs = model(*[arg for _, arg in inputs])
    finally:
        tracer.remove()
    names = _argument_names(model, len(args))
    nodes = _GraphBuilder(tracer, inputs, names).build(_tensors_in(outputs))
    if verbose:
        print("\n".join(f"{n.name} = {n.op}({', '.join(n.input)})" for n in nodes))
    # producer 22: the GraphDef version torch writes
    return GraphDef(node=nodes, versions=VersionDef(producer=22))


@contextlib.contextmanager
def _eval_mode(model):
    if not isinstance(model, Module):
        yield
        return
    training = model.training
    model.train(False)
    try:
        yield
    finally:
        model.train(training)


def _traceable(arg):
    """(node, argument): a floating tensor becomes a clone of a leaf that requires grad, so the
    ops on it record nodes (a clone, not the leaf itself, so in-place ops on it stay legal);
    the clone's node, taken now (an in-place op replaces the clone's grad_fn), stands for the
    input in the graph."""
    if not (isinstance(arg, ember.Tensor) and (arg.is_floating_point() or arg.is_complex())):
        return None, arg
    clone = arg.detach().requires_grad_().clone()
    return clone.grad_fn, clone


def _argument_names(model, count):
    forward = model.forward if isinstance(model, Module) else model
    try:
        params = [p for p in inspect.signature(forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i].name if i < len(params) else f"input.{i}" for i in range(count)]


def _tensors_in(value):
    """The tensors in a (nested) output, in order."""
    if isinstance(value, ember.Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors_in(v)]
    return []


class _ScopeTracer:
    """Forward hooks on every submodule, recording which module's call made each node."""

    def __init__(self, model):
        self.root = type(model).__name__ if isinstance(model, Module) else getattr(
            model, "__name__", "Module")
        self.claimed = {}  # id(node) -> (node, scope); the node is kept so its id stays unique
        self.parameter_scopes = {}  # id(parameter) -> (scope, attribute name)
        self._pending, self._handles = [], []
        if isinstance(model, Module):
            self._hook_all(model)

    def _hook_all(self, model):
        scopes = {"": self.root}
        for name, module in model.named_modules():
            if name:
                parent, _, attr = name.rpartition(".")
                scopes[name] = f"{scopes[parent]}/{type(module).__name__}[{attr}]"
            scope = scopes[name]
            for attr, param in module.named_parameters(recurse=False):
                self.parameter_scopes.setdefault(id(param), (scope, attr))
            self._handles.append(module.register_forward_pre_hook(self._enter, with_kwargs=True))
            self._handles.append(module.register_forward_hook(
                lambda m, a, k, out, scope=scope: self._leave(scope, out), with_kwargs=True))

    def remove(self):
        """Take the hooks off the modules."""
        for handle in self._handles:
            handle.remove()

    def _enter(self, module, args, kwargs):
        self._pending.append({id(t.grad_fn) for t in _tensors_in([args, kwargs])})

    def _leave(self, scope, output):
        boundary = self._pending.pop()
        stack = [t.grad_fn for t in _tensors_in(output)]
        while stack:
            node = stack.pop()
            if node is None or id(node) in boundary or id(node) in self.claimed:
                continue
            if node.name() == _ACCUMULATE:
                continue
            self.claimed[id(node)] = (node, scope)
            stack.extend(n for n, _ in node.next_functions)

    def scope_of(self, node):
        """The scope of the module whose call made ``node`` (the root for ops outside any)."""
        entry = self.claimed.get(id(node))
        return self.root if entry is None else entry[1]


class _GraphBuilder:
    """Autograd nodes -> NodeDefs: names, op kinds, inputs and output shapes."""

    def __init__(self, tracer, inputs, arg_names):
        self.tracer = tracer
        self.inputs = {id(node): name for (node, _), name in zip(inputs, arg_names)
                       if node is not None}
        self.io_nodes = [_node_def(f"input/{name}", "IO Node", (), [tuple(arg.shape)])
                         for (_, arg), name in zip(inputs, arg_names)
                         if isinstance(arg, ember.Tensor)]
        self.names, self.taken, self.shapes = {}, set(), {}

    def build(self, outputs):
        """The NodeDefs of everything the output tensors depend on, inputs and outputs first."""
        order = _topological([t.grad_fn for t in outputs if t.grad_fn is not None],
                             stop=self.inputs)
        for node in order:
            self._record_shapes(node)
        for t in outputs:
            if t.grad_fn is not None:
                self.shapes.setdefault((id(t.grad_fn), _output_nr(t)), tuple(t.shape))
        op_defs = [d for d in map(self._node_def, order) if d is not None]
        out_defs = [_node_def(f"output/output.{i + 1}", "IO Node", self._sources([t]),
                              [tuple(t.shape)]) for i, t in enumerate(outputs)]
        return self.io_nodes + out_defs + op_defs

    def _record_shapes(self, node):
        meta = getattr(node, "_input_meta", None) or ()
        for (source, nr), entry in zip(node.next_functions, meta):
            if source is not None and entry is not None:
                self.shapes[(id(source), nr)] = tuple(entry[0])

    def _node_def(self, node):
        if id(node) in self.inputs:
            name = f"input/{self.inputs[id(node)]}"
            self.names[id(node)] = name
            return None
        if node.name() == _ACCUMULATE:
            return self._leaf_def(node)
        kind, short = _kind(node)
        name = self._unique(f"{self.tracer.scope_of(node)}/{short}")
        self.names[id(node)] = name
        inputs = [self._edge_name(src, nr) for src, nr in node.next_functions if src is not None]
        return _node_def(name, kind, inputs, self._output_shapes(node), _attributes(node))

    def _leaf_def(self, node):
        leaf = node.variable
        scope, attr = self.tracer.parameter_scopes.get(id(leaf), (self.tracer.root, "tensor"))
        name = self._unique(f"{scope}/{attr}")
        self.names[id(node)] = name
        shape = [tuple(leaf.shape)] if leaf is not None else []
        return _node_def(name, "prim::GetAttr", [], shape, str({"name": attr}).replace("'", " "))

    def _output_shapes(self, node):
        meta = getattr(node, "_output_meta", None)
        if meta:
            return [tuple(m[0]) if m is not None else None for m in meta]
        shape = self.shapes.get((id(node), 0))
        return [shape] if shape is not None else []

    def _edge_name(self, source, nr):
        name = self.names[id(source)]
        return name if nr == 0 else f"{name}:{nr}"

    def _sources(self, tensors):
        return [self._edge_name(t.grad_fn, _output_nr(t)) for t in tensors
                if t.grad_fn is not None and id(t.grad_fn) in self.names]

    def _unique(self, name):
        candidate, n = name, 0
        while candidate in self.taken:
            n += 1
            candidate = f"{name}.{n}"
        self.taken.add(candidate)
        return candidate


def _topological(roots, stop):
    """Nodes reachable from ``roots``, producers before consumers, not walking past ``stop``."""
    order, seen, stack = [], set(), [(r, False) for r in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if id(node) not in stop:
            stack.extend((n, False) for n, _ in reversed(node.next_functions)
                         if n is not None and id(n) not in seen)
    return order


def _kind(node):
    """('aten::addmm', 'addmm') for AddmmBackward0; ('prim::PythonOp', 'MyFn') for a Function."""
    base = re.sub(r"Backward\d*$", "", node.name())
    if isinstance(node, BackwardCFunction):
        return "prim::PythonOp", base
    base = re.sub(r"(\d)D", r"\1d", base)  # MaxPool2DWithIndices -> max_pool2d_with_indices
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", base).lower()
    return f"aten::{snake}", snake


def _attributes(node):
    """The op's plain parameters (dims, shapes, flags), as torch prints a node's attributes."""
    simple = (bool, int, float, str, type(None))
    fields = {k: v for k, v in getattr(node, "__dict__", {}).items()
              if not k.startswith("_") and k not in ("needs_input_grad", "to_save")
              and (isinstance(v, simple) or (isinstance(v, (tuple, list))
                                             and all(isinstance(x, simple) for x in v)))}
    return str(fields).replace("'", " ")


def _output_nr(tensor):
    # which output of its grad_fn the tensor is (torch's Tensor.output_nr)
    return getattr(tensor, "output_nr", getattr(tensor, "_output_nr", 0))


def _node_def(name, op, inputs, shapes, attributes=""):
    attr = {"attr": AttrValue(s=attributes.encode("utf-8"))}
    if shapes:
        protos = [TensorShapeProto(dim=[TensorShapeProto.Dim(size=d) for d in shape or ()])
                  for shape in shapes]
        attr["_output_shapes"] = AttrValue(list=AttrValue.ListValue(shape=protos))
    return NodeDef(name=name, op=op, input=list(inputs), attr=attr)
