"""The catalogue of approved message templates (``bot/templates.yml``)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "templates.yml"
_PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")


class TemplateError(ValueError):
    """A template call that Meta would refuse (unknown name, language or parameters)."""

    def __init__(self, message: str, *, code: int) -> None:
        super().__init__(message)
        self.code = code  # the Cloud API error code Meta would answer (132000, 132001)


class TemplateSpec(BaseModel):
    """One approved template: category, body per language and its named parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    category: Literal["utility", "marketing", "authentication"]
    parameters: list[str] = Field(default_factory=list)
    body: dict[str, str]
    buttons: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _placeholders_match_parameters(self) -> TemplateSpec:
        """Each body uses exactly ``{{1}}``..``{{n}}`` for the n declared parameters."""
        expected = {str(n) for n in range(1, len(self.parameters) + 1)}
        for language, text in self.body.items():
            found = set(_PLACEHOLDER.findall(text))
            if found != expected:
                raise ValueError(
                    f"template {self.name!r} ({language}) uses {sorted(found)} but declares "
                    f"{len(self.parameters)} parameters; make them match in templates.yml"
                )
        return self

    def language_for(self, wanted: str) -> str:
        """The approved language closest to ``wanted`` (Italian first, then any)."""
        for candidate in (wanted, wanted.split("_")[0], "it", "en"):
            if candidate in self.body:
                return candidate
        return next(iter(self.body))

    def render(self, language: str, values: list[str]) -> str:
        """The text the customer reads, parameters filled in."""
        text = self.body[self.language_for(language)]
        return _PLACEHOLDER.sub(lambda m: values[int(m.group(1)) - 1], text)


class TemplateCatalog(BaseModel):
    """Every template the business number may send, and the one used to re-engage."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reengagement: str | None = None
    templates: list[TemplateSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _reengagement_is_declared(self) -> TemplateCatalog:
        """The re-engagement template must be one of the declared ones."""
        if self.reengagement and self.get(self.reengagement) is None:
            raise ValueError(
                f"reengagement template {self.reengagement!r} is not declared in templates.yml"
            )
        return self

    def get(self, name: str) -> TemplateSpec | None:
        """The template called ``name``, if declared."""
        return next((t for t in self.templates if t.name == name), None)

    def parameters_for(self, name: str, values: dict[str, str] | list[str]) -> list[str]:
        """Order the values as the template's parameters, refusing what Meta would refuse."""
        spec = self.get(name)
        if spec is None:
            raise TemplateError(f"template {name!r} is not declared in templates.yml", code=132001)
        if isinstance(values, dict):
            missing = [p for p in spec.parameters if p not in values]
            extra = [k for k in values if k not in spec.parameters]
            if missing or extra:
                raise TemplateError(
                    f"template {name!r} takes {spec.parameters}; missing {missing}, "
                    f"unknown {extra}",
                    code=132000,
                )
            return [str(values[p]) for p in spec.parameters]
        if len(values) != len(spec.parameters):
            raise TemplateError(
                f"template {name!r} takes {len(spec.parameters)} parameters "
                f"({spec.parameters}), got {len(values)}",
                code=132000,
            )
        return [str(v) for v in values]


def load_catalog(path: Path | str = DEFAULT_PATH) -> TemplateCatalog:
    """Read and validate a templates file."""
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return TemplateCatalog.model_validate(document)


@lru_cache(maxsize=4)
def cached_catalog(path: str = str(DEFAULT_PATH)) -> TemplateCatalog:
    """The catalogue read once per process (templates change with a deploy)."""
    return load_catalog(path)
