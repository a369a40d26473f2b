"""See why each gradient is what it is: graph pictures, chain-rule explanations, checks.

``graph`` draws the autograd graph with values and gradients, ``explain`` writes out the
chain rule, ``check_gradient`` compares a hand-derived gradient with autograd,
``explain_step`` shows an optimizer's update with its numbers, and ``Trace`` records a
training run and warns about classic slips.
"""

from glassgrad.viz.check import GradientReport, check_gradient
from glassgrad.viz.explain import Explanation, explain
from glassgrad.viz.expr import explain_expression
from glassgrad.viz.graph import Graph, format_array, format_number, graph, watch
from glassgrad.viz.optim_explain import StepExplanation, explain_step
from glassgrad.viz.trace import Trace

__all__ = [
    "Explanation",
    "GradientReport",
    "Graph",
    "StepExplanation",
    "Trace",
    "check_gradient",
    "explain",
    "explain_expression",
    "explain_step",
    "format_array",
    "format_number",
    "graph",
    "watch",
]
