"""The repeated-lines steps: a document's site key, and dropping lines mined as its site's
boilerplate (``--drop-repeated``; the mining itself is cleaner/repeated/)."""

from __future__ import annotations

from typing import ClassVar

from cleaner.repeated.boilerplate import Boilerplate
from cleaner.repeated.keys import site_key
from cleaner.steps.base import State


class SiteKey:
    """The key a document's lines are counted and dropped under; decided in the first round."""

    name: ClassVar[str] = "site-key"

    def __call__(self, state: State) -> None:
        site = state.site.name if state.site is not None else None
        state.key = site_key(site, state.url, state.lines)

    def again(self, state: State) -> bool:
        return False


class DropRepeated:
    """Drop the lines mined as the site's boilerplate, as ``repeated:<key>``."""

    name: ClassVar[str] = "repeated"

    def __init__(self, boilerplate: Boilerplate):
        self.boilerplate = boilerplate

    def __call__(self, state: State) -> None:
        if state.key is not None:
            self.boilerplate.drop(state.lines, state.key)

    def again(self, state: State) -> bool:
        return state.rewrites  # a line's fate depends on its text alone
