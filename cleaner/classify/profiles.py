"""The classifier's operating points, apart from its settings model so that the command line
(whose options name them) starts without importing pydantic."""

from __future__ import annotations

from typing import Literal

Profile = Literal["precision", "balanced", "recall"]
PROFILES: tuple[Profile, ...] = ("precision", "balanced", "recall")
