"""The rule kinds: one module each, holding its schema and its compiled form.

Adding a kind is one new module here and one entry in ``COMPILED`` (or ``HTML_ONLY``); the schema's
union, the list of kind names and the compiler table are all derived from these."""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from cleaner.rules.base import RuleBase
from cleaner.rules.compiled import Compiled
from cleaner.rules.kinds.block import BlockRule, CompiledBlock
from cleaner.rules.kinds.extract import CompiledExtract, ExtractRule
from cleaner.rules.kinds.line import CompiledLine, LineRule
from cleaner.rules.kinds.replace import CompiledReplace, ReplaceRule
from cleaner.rules.kinds.selector import SelectorRule
from cleaner.rules.kinds.tail import CompiledTail, TailRule

COMPILED: tuple[type[Compiled], ...] = (CompiledLine, CompiledBlock, CompiledTail, CompiledExtract, CompiledReplace)
HTML_ONLY: tuple[type[RuleBase], ...] = (SelectorRule,)  # act on HTML before extraction

MODELS: tuple[type[RuleBase], ...] = (*(c.model for c in COMPILED), *HTML_ONLY)
KINDS = frozenset(model.model_fields["kind"].annotation.__args__[0] for model in MODELS)  # type: ignore[union-attr]
_COMPILERS = {c.model: c for c in COMPILED}

Rule = Annotated[Union[*MODELS], Field(discriminator="kind")]


def compile_rule(rule: RuleBase) -> Compiled | None:
    """The rule's compiled form; None for the kinds that act on HTML only."""
    compiler = _COMPILERS.get(type(rule))
    return compiler(rule) if compiler is not None else None  # type: ignore[call-arg]


__all__ = [
    "KINDS",
    "MODELS",
    "BlockRule",
    "ExtractRule",
    "LineRule",
    "ReplaceRule",
    "Rule",
    "SelectorRule",
    "TailRule",
    "compile_rule",
]
