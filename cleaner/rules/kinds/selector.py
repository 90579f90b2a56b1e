"""``selector``: for HTML input, remove the elements a CSS selector matches before extraction.

It acts in the HTML stage (steps/extract.py), never on text, so it has no compiled form here."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from cleaner.rules.base import RuleBase


def _css(selector: str) -> str:
    import warnings

    import soupsieve  # only rule files with selectors pay for importing it (start-up time)

    try:
        # (A deprecated form, as :contains(), warned on stderr at every load: refused here instead,
        # with its file and line, as the warning's own words.)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            soupsieve.compile(selector)
    except soupsieve.SelectorSyntaxError as exc:
        raise ValueError(f"CSS selector does not parse: {exc}") from None
    except NotImplementedError as exc:  # a pseudo-element (::before): no element to remove
        raise ValueError(f"CSS selector not supported: {exc}") from None
    except Warning as exc:
        raise ValueError(f"CSS selector deprecated: {exc}") from None
    return selector


class SelectorRule(RuleBase):
    """Remove the elements matching a CSS selector before extraction. Test cases give HTML as ``input``."""

    kind: Literal["selector"]
    selector: Annotated[str, Field(min_length=1), AfterValidator(_css)]
