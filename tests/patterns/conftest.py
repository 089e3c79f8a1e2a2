"""The pattern tests use the test kit's own fixtures (``actors.testing.pytest_plugin``).

``pytest_plugins`` may only be set in the top-level conftest, so the fixtures
are imported here; ``anyio_backend`` comes from ``tests/conftest.py``.
"""

from actors.testing.pytest_plugin import actor_system, probe

__all__ = ["actor_system", "probe"]
