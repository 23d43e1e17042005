"""Shared pytest fixtures and device parametrization."""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("NUMBA_NUM_THREADS", "2")


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


def torch_devices():
    """CPU always; CUDA when this machine has it (the same tests then run on the GPU)."""
    import torch

    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
