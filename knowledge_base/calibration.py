"""Calibrate the answer-or-abstain rule on an evaluation set, with a held-out half.

The questions are split deterministically (by a hash of their text) into a calibration half
and a held-out half. A logistic model of "the top topic is right" is fitted on the top hit's
features of the calibration half; the threshold is the lowest one whose false-answer rate on
the calibration half stays within the target while abstaining on at least
``min_abstain_recall`` of its out-of-scope questions. Both halves are then reported, so overfitting
shows up as a gap between them.
"""

from __future__ import annotations

import hashlib

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from knowledge_base.evaluation import EvalQuestion
from knowledge_base.retriever import FEATURES, HybridRetriever, confidence_features


class Sample(BaseModel):
    """The top hit's features for one question and whether that hit was right."""

    model_config = ConfigDict(extra="forbid")

    question: EvalQuestion
    features: dict[str, float]
    top: str | None
    correct: bool


class HalfReport(BaseModel):
    """How the calibrated rule does on one half of the set."""

    model_config = ConfigDict(extra="forbid")

    n: int
    answered: int
    false_answer_rate: float
    abstain_recall: float
    correct_answer_rate: float = Field(description="in-scope questions answered correctly")


class Calibration(BaseModel):
    """The fitted weights, bias and threshold, and their figures on both halves."""

    model_config = ConfigDict(extra="forbid")

    weights: dict[str, float]
    bias: float
    threshold: float
    target_false_answer_rate: float
    calibration: HalfReport
    held_out: HalfReport


def is_held_out(question: EvalQuestion) -> bool:
    """Return True for the half of the questions kept out of fitting (stable across runs)."""
    return int(hashlib.md5(question.text.encode("utf-8")).hexdigest(), 16) % 2 == 1


def collect(retriever: HybridRetriever, questions: list[EvalQuestion]) -> list[Sample]:
    """Search every question and keep the top hit's features."""
    samples = []
    dense_langs = retriever.settings.dense_languages
    for question in questions:
        hits = retriever.search(question.text, question.lang)
        if not hits:
            features = dict.fromkeys(FEATURES, 0.0)
        else:
            features = confidence_features(hits[0], hits[0].agreement, hits[0].margin)
            if question.lang not in dense_langs:
                features["dense"] = 0.0
        top = hits[0].id if hits else None
        correct = top is not None and top == question.topic
        samples.append(Sample(question=question, features=features, top=top, correct=correct))
    return samples


def _matrix(samples: list[Sample]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[s.features[f] for f in FEATURES] for s in samples], dtype=np.float64)
    y = np.array([1.0 if s.correct else 0.0 for s in samples])
    return x, y


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 0.001) -> tuple[np.ndarray, float]:
    """Return weights and bias of an L2-regularised logistic regression (Newton steps)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    reg = np.eye(xb.shape[1]) * l2 * len(x)
    reg[-1, -1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) + reg @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + reg + np.eye(len(w)) * 1e-9
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def _probabilities(samples: list[Sample], weights: np.ndarray, bias: float) -> np.ndarray:
    x, _ = _matrix(samples)
    return 1.0 / (1.0 + np.exp(-(x @ weights + bias)))


def half_report(samples: list[Sample], probs: np.ndarray, threshold: float) -> HalfReport:
    """Return the figures of the rule ``answer when prob >= threshold`` on some samples."""
    answered = [s for s, p in zip(samples, probs, strict=True) if p >= threshold]
    wrong = sum(not s.correct for s in answered)
    out_scope = [s for s, p in zip(samples, probs, strict=True) if s.question.topic is None]
    abstained = sum(p < threshold for s, p in zip(samples, probs, strict=True) if s in out_scope)
    in_scope = sum(s.question.topic is not None for s in samples)
    return HalfReport(
        n=len(samples),
        answered=len(answered),
        false_answer_rate=round(wrong / len(answered), 4) if answered else 0.0,
        abstain_recall=round(abstained / len(out_scope), 4) if out_scope else 0.0,
        correct_answer_rate=round(sum(s.correct for s in answered) / in_scope, 4)
        if in_scope
        else 0.0,
    )


def choose_threshold(
    samples: list[Sample], probs: np.ndarray, target: float, min_abstain_recall: float
) -> float:
    """Return the lowest threshold meeting both goals: few false answers, most abstentions."""
    for threshold in np.round(np.arange(0.05, 0.96, 0.01), 2):
        report = half_report(samples, probs, float(threshold))
        if report.false_answer_rate <= target and report.abstain_recall >= min_abstain_recall:
            return float(threshold)
    return 0.95


def calibrate(
    retriever: HybridRetriever,
    questions: list[EvalQuestion],
    *,
    target: float = 0.05,
    min_abstain_recall: float = 0.8,
) -> Calibration:
    """Fit the confidence model and threshold on one half; report both halves."""
    samples = collect(retriever, questions)
    fit_half = [s for s in samples if not is_held_out(s.question)]
    held = [s for s in samples if is_held_out(s.question)]
    weights, bias = fit_logistic(*_matrix(fit_half))
    fit_probs = _probabilities(fit_half, weights, bias)
    threshold = choose_threshold(fit_half, fit_probs, target, min_abstain_recall)
    return Calibration(
        weights={f: round(float(w), 3) for f, w in zip(FEATURES, weights, strict=True)},
        bias=round(bias, 3),
        threshold=threshold,
        target_false_answer_rate=target,
        calibration=half_report(fit_half, fit_probs, threshold),
        held_out=half_report(held, _probabilities(held, weights, bias), threshold),
    )
