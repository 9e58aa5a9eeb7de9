"""add_graph against torch's JIT-traced graph.

Ember traces through autograd, torch through its JIT, so the two GraphDefs differ in detail
(torch adds prim::Constant / ListConstruct nodes, fetches a parameter once per use, names
values by JIT debug names, and records the call, e.g. aten::linear, where Ember records the
primitive, aten::addmm). What must match, and is tested here:

- input and output nodes: ``input/<argument>`` and ``output/output.<n>``, with their shapes;
- parameters: one ``prim::GetAttr`` node per (module scope, attribute) that torch fetches;
- compute nodes (``aten::*``): the same multiset of (module scope, op) after mapping torch's
  call names onto Ember's primitives (ALIASES), with the same (first) output shape;
- edges: the same multiset of (producer, consumer) pairs between compute, input and output
  nodes, looking through torch's prim:: nodes.
"""

import collections

import numpy as np
import pytest
from tb_helpers import LIBS, graph_summary, load, shapes

import ember

# torch.jit.trace, behind torch's add_graph, is deprecated
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

def build(lib, kind):
    """The same model, written once, in either library (weights copied from torch's)."""
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3)
            self.pool = nn.MaxPool2d(2)
            self.fc = nn.Sequential(nn.Linear(4 * 3 * 3, 10), nn.ReLU(), nn.Linear(10, 3))

        def forward(self, x):
            x = self.pool(lib.relu(self.conv(x)))
            return self.fc(x.flatten(1)) * 2

    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1, self.l2 = nn.Linear(4, 3), nn.Linear(5, 3)

        def forward(self, a, b):
            h = self.l1(a)
            return h + self.l2(b), lib.sigmoid(self.l1(a)) * h

    lib.manual_seed(0)
    return {"net": Net, "two": Two}[kind]()


def copy_weights(ember_model, torch_model):
    state = {k: ember.tensor(v.detach().numpy()) for k, v in torch_model.state_dict().items()}
    ember_model.load_state_dict(state)


INPUTS = {"net": [(2, 1, 8, 8)], "two": [(2, 4), (2, 5)]}


def graphs_of(tmp_path, kind):
    """Both libraries' graphs of one model, written by add_graph and read back by
    EventAccumulator."""
    arrays = [np.random.RandomState(i).randn(*s).astype(np.float32)
              for i, s in enumerate(INPUTS[kind])]
    models = {name: build(lib, kind) for name, (lib, _) in LIBS.items()}
    copy_weights(models["ember"], models["torch"])
    accumulators = {}
    for name, (lib, writer_cls) in LIBS.items():
        inputs = tuple(lib.tensor(a) for a in arrays)
        with writer_cls(str(tmp_path / name)) as w:
            w.add_graph(models[name], inputs[0] if len(inputs) == 1 else inputs)
        accumulators[name] = load(tmp_path / name)
    return accumulators["ember"], accumulators["torch"]


def test_graph_of_a_conv_net_matches_torchs(tmp_path):
    mine, ref = graphs_of(tmp_path, "net")
    nodes, edges, params = graph_summary(mine.Graph(), torch_scopes=False)
    ref_nodes, ref_edges, ref_params = graph_summary(ref.Graph(), torch_scopes=True)
    assert nodes == ref_nodes
    assert edges == ref_edges
    assert params == ref_params == {
        ("Net/Conv2d[conv]", "weight"), ("Net/Conv2d[conv]", "bias"),
        ("Net/Sequential[fc]/Linear[0]", "weight"), ("Net/Sequential[fc]/Linear[0]", "bias"),
        ("Net/Sequential[fc]/Linear[2]", "weight"), ("Net/Sequential[fc]/Linear[2]", "bias")}
    assert mine.Tags()["graph"] and ref.Tags()["graph"]


def test_graph_with_two_inputs_a_reused_module_and_a_tuple_output(tmp_path):
    mine, ref = graphs_of(tmp_path, "two")
    nodes, edges, params = graph_summary(mine.Graph(), torch_scopes=False)
    ref_nodes, ref_edges, ref_params = graph_summary(ref.Graph(), torch_scopes=True)
    # torch packs a tuple output into one prim::TupleConstruct output; Ember has one output
    # node per tensor: compare everything but the outputs
    is_output = lambda k: k[0] == "io" and k[1].startswith("output/")
    strip = lambda c: collections.Counter({k: v for k, v in c.items() if not is_output(k[0])})
    strip_edges = lambda c: collections.Counter(
        {k: v for k, v in c.items() if not is_output(k[1])})
    assert strip(nodes) == strip(ref_nodes)
    assert strip_edges(edges) == strip_edges(ref_edges)
    assert params == ref_params
    assert sorted(k[0][1] for k in nodes if is_output(k[0])) == ["output/output.1",
                                                                  "output/output.2"]
    assert {(k[0], k[1]) for k in edges if is_output(k[1])} == {
        (("Two", "add"), ("io", "output/output.1")), (("Two", "mul"), ("io", "output/output.2"))}


def test_add_graph_keeps_training_mode_and_parameters(tmp_path):
    model = build(ember, "net")
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with ember.utils.tensorboard.SummaryWriter(str(tmp_path)) as w:
        w.add_graph(model, ember.randn(1, 1, 8, 8))
    assert model.training and model.fc[0].training
    for k, v in model.state_dict().items():
        assert ember.equal(v, before[k]) and v.grad is None


def test_graph_of_in_place_ops_functions_and_multiple_outputs(tmp_path):
    nn = ember.nn

    class Double(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 4)

        def forward(self, x, idx):
            x.relu_()  # in place on the input
            first, second = x.unbind(0)
            return Double.apply(first) + second + self.emb(idx).sum(0)

    with ember.utils.tensorboard.SummaryWriter(str(tmp_path)) as w:
        w.add_graph(Odd(), (ember.randn(2, 4), ember.tensor([1, 2, 3])), verbose=False)
    nodes = {n.name: n for n in load(tmp_path).Graph().node}
    assert nodes["input/x"].op == nodes["input/idx"].op == "IO Node"
    assert shapes(nodes["input/idx"]) == [(3,)]
    unbind = nodes["Odd/unbind"]
    assert shapes(unbind) == [(4,), (4,)] and unbind.input == ["Odd/relu"]
    assert nodes["Odd/relu"].input == ["input/x"]
    assert nodes["Odd/Double"].op == "prim::PythonOp"
    assert nodes["Odd/Double"].input == ["Odd/unbind"]
    assert "Odd/unbind:1" in nodes["Odd/add"].input
    assert nodes["Odd/Embedding[emb]/embedding"].input == ["Odd/Embedding[emb]/weight"]
    assert shapes(nodes["output/output.1"]) == [(4,)]


@pytest.mark.parametrize("form", [tuple, list])
def test_add_graph_argument_forms_under_no_grad(tmp_path, form):
    model = build(ember, "two")
    inputs = form([ember.randn(2, 4), ember.randn(2, 5)])
    with ember.utils.tensorboard.SummaryWriter(str(tmp_path)) as w, ember.no_grad():
        w.add_graph(model, inputs)
        assert not ember.is_grad_enabled()
    nodes = {n.name: n for n in load(tmp_path).Graph().node}
    assert nodes["Two/Linear[l1]/addmm"].input[0] == "input/a"
    assert nodes["Two/Linear[l2]/addmm"].input[0] == "input/b"
    assert nodes["output/output.1"].input == ["Two/add"]
