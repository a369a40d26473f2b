"""Reverse-mode automatic differentiation: ``backward``, ``grad``, grad modes, Function."""

from __future__ import annotations

import importlib

from glassgrad.autograd.anomaly import detect_anomaly, set_detect_anomaly
from glassgrad.autograd.function import Function, FunctionCtx
from glassgrad.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from glassgrad.autograd.gradcheck import gradcheck, gradgradcheck
from glassgrad.autograd.gradients import backward, grad
from glassgrad.autograd.graph import Node
from glassgrad.autograd.variable import Variable

__all__ = [
    "Function",
    "FunctionCtx",
    "Node",
    "Variable",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "set_detect_anomaly",
    "set_grad_enabled",
]


def __getattr__(name: str):
    """``autograd.functional`` (jacobian, hessian, ...) builds on the ops, which sit above the
    autograd engine: it is imported on first use, as a submodule, never by the engine."""
    if name == "functional":
        return importlib.import_module("glassgrad.autograd.functional")
    raise AttributeError(f"module 'glassgrad.autograd' has no attribute '{name}'")
