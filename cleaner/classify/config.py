"""The classifier's settings in a rule file: ``classify:`` in a generic file sets the thresholds
of each profile; in a site file it turns the classifier off or on for that site, or tunes it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cleaner.classify.profiles import Profile


class ClassifyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool | None = None  # a site file: false turns the classifier off for the site
    profile: Profile | None = None  # a site file: this profile whatever the command line says
    # P(content) under which a line goes, per profile (the generic file sets all three).
    thresholds: dict[Profile, float] = Field(default_factory=dict)
    # Which rule id a removal carries: a line of fewer words is "short", and one in a run of at
    # least ``nav_run`` such lines is part of a menu.
    short_words: int | None = Field(default=None, ge=1)
    nav_run: int | None = Field(default=None, ge=2)
    # A document of fewer live lines gives the model no context (windows, the distance to the
    # nearest sentence) and is unlike every page it learnt from: it is left alone.
    min_lines: int | None = Field(default=None, ge=1)
    # A list in the body (classify/lists.py): at least this many different lines of one template
    # (short_words words or more each, the same punctuation marks) are kept whole once the
    # classifier keeps two of them; 0 turns it off.
    list_run: int | None = Field(default=None, ge=0)
    # What kind of documents it runs on: text input only by default (HTML is already extracted).
    html: bool | None = None

    def over(self, base: ClassifyConfig) -> ClassifyConfig:
        """These settings, with ``base``'s where these leave one unset."""
        data = base.model_dump()
        for key, value in self.model_dump(exclude_defaults=True).items():
            data[key] = {**data[key], **value} if key == "thresholds" else value
        return ClassifyConfig.model_validate(data)
