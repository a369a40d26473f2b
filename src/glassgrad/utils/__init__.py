"""Utilities (``torch.utils``)."""
