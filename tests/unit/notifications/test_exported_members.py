"""The package's public surface is what ``__all__`` says, and all of it exists."""

from __future__ import annotations

import notifications


def test_every_exported_name_exists_and_nothing_public_is_unlisted() -> None:
    assert all(hasattr(notifications, name) for name in notifications.__all__)
    public = {
        n
        for n, v in vars(notifications).items()
        if not n.startswith("_") and getattr(v, "__module__", "").startswith("notifications")
    }
    assert public <= set(notifications.__all__)
