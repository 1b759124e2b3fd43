"""Markers for tests that need an optional part of the installation."""

from __future__ import annotations

import pytest

from embeddings import onnx_backend

needs_onnx = pytest.mark.skipif(
    not onnx_backend.available(), reason="the optional `onnx` extra is not installed"
)
