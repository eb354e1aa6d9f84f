"""Testing support: ``TestClient`` and the pytest plugin's ``app``/``client`` fixtures."""

from .client import TestClient

__all__ = ["TestClient"]
