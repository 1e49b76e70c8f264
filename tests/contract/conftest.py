"""Every Store adapter, one contract: each test here runs on TinyDB files and on PostgreSQL
(the ``backend`` fixture of tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import FakeClock

__all__ = ["FakeClock"]


@pytest.fixture
def store(backend: Any) -> Any:
    return backend()
