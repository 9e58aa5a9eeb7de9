"""torch.utils.tensorboard: SummaryWriter, writing event files that TensorBoard reads.

Needs the ``tensorboard`` extra (``pip install ember[tensorboard]``, which brings tensorboardX:
its record writer and protocol buffers write the files). Images also need Pillow, and
``add_figure`` matplotlib.
"""

try:
    import tensorboardX  # noqa: F401
except ImportError as e:
    raise ImportError(
        "ember.utils.tensorboard needs tensorboardX: pip install 'ember[tensorboard]' "
        "(or pip install tensorboardX)") from e

from ember.utils.tensorboard._file_writer import FileWriter
from ember.utils.tensorboard.writer import SummaryWriter

__all__ = ["FileWriter", "SummaryWriter"]
