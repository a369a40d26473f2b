"""``torch.utils.tensorboard``: training curves, histograms, text and graphs for TensorBoard.

Training scripts import ``SummaryWriter`` from here. The event files are written by the
``tensorboard`` package's own ``EventFileWriter`` with its own protocol buffers, so they open
in TensorBoard exactly as PyTorch's do: same directories (``runs/<date>_<host><comment>``,
one subdirectory per ``add_scalars`` curve), same tags, same histogram buckets. Values may be
glassgrad tensors, NumPy arrays or Python numbers.

``tensorboard`` is an optional dependency (``pip install "glassgrad[tensorboard]"``); importing
this module without it raises ImportError, as importing ``torch.utils.tensorboard`` does.

Example:
    >>> from glassgrad.utils.tensorboard import SummaryWriter
    >>> with SummaryWriter("runs/exp1") as writer:
    ...     for step in range(3):
    ...         writer.add_scalar("loss", 1.0 / (step + 1), step)
"""

from __future__ import annotations

import functools
import os
import socket
import time
from datetime import datetime

from glassgrad._backend import xp
from glassgrad._tensor import Tensor
from glassgrad.autograd.grad_mode import enable_grad

try:
    from tensorboard.compat.proto.event_pb2 import Event, SessionLog
    from tensorboard.compat.proto.graph_pb2 import GraphDef
    from tensorboard.compat.proto.node_def_pb2 import NodeDef
    from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
    from tensorboard.compat.proto.tensor_pb2 import TensorProto
    from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
except ImportError as error:
    raise ImportError(
        "glassgrad.utils.tensorboard (torch.utils.tensorboard) writes its event files with the "
        'tensorboard package, which is not installed: pip install "glassgrad[tensorboard]"'
    ) from error

__all__ = ["SummaryWriter"]


class SummaryWriter:
    """Writes TensorBoard event files into ``log_dir``, as PyTorch's ``SummaryWriter`` does.

    Args:
        log_dir: where to write; default ``runs/<Mon DD_HH-MM-SS>_<hostname><comment>``.
        comment: appended to the default ``log_dir`` (ignored when ``log_dir`` is given).
        purge_step: when a crashed run restarts at step T in the same ``log_dir``, events at
            steps >= T from the earlier run are hidden by TensorBoard.
        max_queue: pending events before a write to disk is forced.
        flush_secs: how often pending events are written, in seconds.
        filename_suffix: appended to every event file name.
    """

    def __init__(
        self,
        log_dir: str | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = 10,
        flush_secs: int = 120,
        filename_suffix: str = "",
    ) -> None:
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", stamp + "_" + socket.gethostname() + comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self._writers: dict[str, EventFileWriter] = {}  # by directory; log_dir's first
        self._main_writer()

    def get_logdir(self) -> str:
        return self.log_dir

    def _writer(self, directory: str) -> EventFileWriter:
        writer = self._writers.get(directory)
        if writer is None:
            writer = EventFileWriter(
                directory, self.max_queue, self.flush_secs, self.filename_suffix
            )
            self._writers[directory] = writer
        return writer

    def _main_writer(self) -> EventFileWriter:
        """The writer of ``log_dir`` (a new file after ``close``); a pending ``purge_step``
        is recorded first, as the restart marker TensorBoard looks for."""
        fresh = self.log_dir not in self._writers
        writer = self._writer(self.log_dir)
        if fresh and self.purge_step is not None:
            step, self.purge_step = int(self.purge_step), None
            writer.add_event(Event(step=step, file_version="brain.Event:2", wall_time=time.time()))
            start = SessionLog(status=SessionLog.START)
            writer.add_event(Event(step=step, session_log=start, wall_time=time.time()))
        return writer

    @staticmethod
    def _event(summary: Summary, global_step, walltime) -> Event:
        event = Event(summary=summary, wall_time=time.time() if walltime is None else walltime)
        if global_step is not None:
            event.step = int(global_step)
        return event

    def add_scalar(
        self,
        tag: str,
        scalar_value,
        global_step: int | None = None,
        walltime: float | None = None,
        new_style: bool = False,
        double_precision: bool = False,
    ) -> None:
        """Log one number (a Python number or a one-element tensor/array) under ``tag``."""
        value = _one_number(scalar_value, tag)
        if new_style:
            tensor = (
                TensorProto(double_val=[value], dtype="DT_DOUBLE")
                if double_precision
                else TensorProto(float_val=[value], dtype="DT_FLOAT")
            )
            plugin = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
            entry = Summary.Value(tag=tag, tensor=tensor, metadata=plugin)
        else:
            entry = Summary.Value(tag=tag, simple_value=value)
        summary = Summary(value=[entry])
        self._main_writer().add_event(self._event(summary, global_step, walltime))

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: dict,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log several curves on one chart: each goes to ``<log_dir>/<main_tag>_<tag>`` under
        the tag ``main_tag`` (TensorBoard shows runs of the same tag together)."""
        walltime = time.time() if walltime is None else walltime
        root = self._main_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            directory = root + "/" + main_tag.replace("/", "_") + "_" + tag
            summary = Summary(
                value=[Summary.Value(tag=main_tag, simple_value=_one_number(value, tag))]
            )
            self._writer(directory).add_event(self._event(summary, global_step, walltime))

    def add_histogram(
        self,
        tag: str,
        values,
        global_step: int | None = None,
        bins="tensorflow",
        walltime: float | None = None,
        max_bins: int | None = None,
    ) -> None:
        """Log the distribution of ``values``. ``bins``: "tensorflow" (TensorBoard's
        exponential buckets, PyTorch's default) or anything ``numpy.histogram`` accepts."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = _tensorflow_bins()
        histogram = _histogram(_as_array(values, tag).astype(float), bins, max_bins)
        summary = Summary(value=[Summary.Value(tag=tag, histo=histogram)])
        self._main_writer().add_event(self._event(summary, global_step, walltime))

    def add_text(
        self, tag: str, text_string: str, global_step: int | None = None, walltime=None
    ) -> None:
        """Log text (Markdown) for TensorBoard's Text tab, under ``<tag>/text_summary``."""
        plugin = SummaryMetadata.PluginData(
            plugin_name="text", content=TextPluginData(version=0).SerializeToString()
        )
        tensor = TensorProto(
            dtype="DT_STRING",
            string_val=[text_string.encode("utf_8")],
            tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]),
        )
        entry = Summary.Value(
            tag=tag + "/text_summary", metadata=SummaryMetadata(plugin_data=plugin), tensor=tensor
        )
        self._main_writer().add_event(self._event(Summary(value=[entry]), global_step, walltime))

    def add_graph(self, model, input_to_model=None, verbose: bool = False, use_strict_trace=True):
        """Log the autograd graph of ``model(input_to_model)`` for TensorBoard's Graphs tab.

        PyTorch traces the model with TorchScript; glassgrad records one forward pass and
        draws its backward graph turned forward: parameters (by their module names) and the
        inputs feed the ops (named as in ``grad_fn``) that make the outputs.
        """
        graph = _graph_def(model, input_to_model)
        if verbose:
            print(graph)
        event = Event(graph_def=graph.SerializeToString(), wall_time=time.time())
        self._main_writer().add_event(event)

    def flush(self) -> None:
        """Write every pending event to disk."""
        for writer in self._writers.values():
            writer.flush()

    def close(self) -> None:
        """Flush and close every event file; a later ``add_*`` starts a new file."""
        for writer in self._writers.values():
            writer.flush()
            writer.close()
        self._writers = {}

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        self.close()


def _as_array(value, tag: str):
    """A tensor, array or number as a NumPy array (a number as a one-element array)."""
    if isinstance(value, Tensor):
        return value.detach().numpy()
    if isinstance(value, xp.ndarray):
        return value
    if xp.isscalar(value):
        return xp.array([value])
    raise NotImplementedError(
        f"Got {type(value)}, but numpy array or torch tensor are expected (for '{tag}'): pass "
        "a glassgrad tensor, a NumPy array or a Python number"
    )


def _one_number(value, tag: str) -> float:
    array = _as_array(value, tag).squeeze()
    if array.ndim != 0:
        raise AssertionError(
            f"Tensor should contain one element (0 dimensions). Was given size: {array.size} and "
            f"{array.ndim} dimensions. (tag '{tag}': log one number, e.g. loss.item())"
        )
    return float(array)


@functools.cache
def _tensorflow_bins() -> list:
    """TensorBoard's default buckets: ±1e-12 growing by 10% to 1e20, and 0. Built by repeated
    multiplication, as PyTorch builds them, so the bucket limits are the same floats."""
    edges, v = [], 1e-12
    while v < 1e20:
        edges.append(v)
        v *= 1.1
    return [-e for e in reversed(edges)] + [0] + edges


def _histogram(values, bins, max_bins: int | None) -> HistogramProto:
    """TensorBoard's histogram of ``values``: counts per bucket, trimmed to the occupied
    range plus one empty bucket on the left (TensorBoard stores right edges only)."""
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = xp.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        group = len(counts) // max_bins
        counts = xp.pad(counts, (0, -len(counts) % group)).reshape(-1, group).sum(axis=1)
        limits = xp.append(limits[:-1:group], limits[-1])
    occupied = xp.flatnonzero(counts)
    if not occupied.size:
        raise ValueError(
            f"The histogram is empty: no value lies within its bins ({limits[0]} to "
            f"{limits[-1]}); pass bins that cover the values, e.g. bins='auto'"
        )
    first, last = int(occupied[0]), int(occupied[-1])
    counts = (
        xp.concatenate([[0], counts[: last + 1]]) if first == 0 else counts[first - 1 : last + 1]
    )
    return HistogramProto(
        min=values.min(),
        max=values.max(),
        num=len(values),
        sum=values.sum(),
        sum_squares=values.dot(values),
        bucket_limit=limits[first : last + 2].tolist(),
        bucket=counts.tolist(),
    )


def _graph_def(model, inputs) -> GraphDef:
    """The recorded graph of one forward pass as a TensorBoard ``GraphDef``."""
    inputs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    inputs = tuple(x.detach().requires_grad_(x.is_floating_point()) for x in inputs)
    with enable_grad():
        outputs = model(*inputs)
    outputs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
    names = {id(p): "params/" + n for n, p in model.named_parameters()}
    names.update({id(x): f"input/input.{i}" for i, x in enumerate(inputs)})
    roots = [(i, out.grad_fn) for i, out in enumerate(outputs) if isinstance(out, Tensor)]
    seen, nodes = _graph_nodes([fn for _, fn in roots if fn is not None], names)
    for i, fn in roots:
        if fn is not None:
            nodes.append(NodeDef(name=f"output/output.{i}", op="Output", input=[seen[fn]]))
    return GraphDef(node=nodes)


def _graph_nodes(roots: list, names: dict) -> tuple[dict, list]:
    """A ``NodeDef`` per graph node, inputs before the ops using them (an iterative walk, so
    long recurrent graphs do not hit Python's recursion limit); and each node's name."""
    seen, nodes = {}, []
    stack = [(fn, False) for fn in roots]
    while stack:
        fn, sources_done = stack.pop()
        if fn in seen:
            continue
        variable = getattr(fn, "variable", None)
        if variable is not None:  # an AccumulateGrad: the leaf tensor itself
            seen[fn] = names.get(id(variable), f"leaf/tensor.{len(seen)}")
            nodes.append(NodeDef(name=seen[fn], op="Parameter"))
            continue
        sources = [f for f, _ in fn.next_functions if f is not None]
        if not sources_done:
            stack.append((fn, True))
            stack.extend((f, False) for f in sources if f not in seen)
            continue
        seen[fn] = f"{fn.name()}/{len(seen)}"
        nodes.append(NodeDef(name=seen[fn], op=fn.name(), input=[seen[f] for f in sources]))
    return seen, nodes
