"""Fixtures of the knowledge-base tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base import Encoder, KbSettings
from tests.knowledge_base.helpers import make_settings, shared_encoders


@pytest.fixture(scope="session")
def encoders() -> dict[str, Encoder]:
    """The real default encoders, loaded once."""
    return shared_encoders()


@pytest.fixture
def kb_settings(tmp_path: Path) -> KbSettings:
    """Settings over a copy of eight example topics in both languages."""
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def example_retriever(tmp_path_factory: pytest.TempPathFactory, encoders):  # noqa: ANN001, ANN201
    """A retriever over the whole example base (index built once in a temp directory)."""
    from knowledge_base import load_retriever
    from tests.knowledge_base.helpers import EXAMPLE_DOCS

    index_dir = tmp_path_factory.mktemp("example-index")
    return load_retriever(KbSettings(docs_dir=EXAMPLE_DOCS, index_dir=index_dir), encoders=encoders)
