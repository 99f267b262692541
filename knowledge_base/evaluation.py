"""Offline evaluation of the retriever on a JSON Lines set of customer questions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from knowledge_base.models import Answer
from knowledge_base.retriever import Retriever


class EvalQuestion(BaseModel):
    """One line of an evaluation file; ``topic`` None means the bot should abstain."""

    model_config = ConfigDict(extra="ignore")

    lang: str
    topic: str | None = None
    text: str


class Metrics(BaseModel):
    """The figures of one evaluation (all questions or one language)."""

    model_config = ConfigDict(extra="forbid")

    n: int
    recall_at_1: float
    recall_at_3: float
    mrr: float
    abstain_precision: float
    abstain_recall: float
    false_answer_rate: float
    p50_ms: float
    p99_ms: float


class EvalReport(Metrics):
    """Metrics over the whole set plus one block per language (the ``--json`` output)."""

    by_lang: dict[str, Metrics] = Field(default_factory=dict)


class Outcome(BaseModel):
    """What happened to one question."""

    model_config = ConfigDict(extra="forbid")

    question: EvalQuestion
    ranked: list[str]
    answered: str | None
    confidence: float
    ms: float


def read_questions(path: Path) -> list[EvalQuestion]:
    """Read an evaluation file; blank lines and ``#`` comments are skipped."""
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            questions.append(EvalQuestion.model_validate(json.loads(line)))
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: not a valid question line ({exc})") from exc
    return questions


def run_question(retriever: Retriever, question: EvalQuestion) -> Outcome:
    """Ask the retriever one question and keep what the metrics need."""
    answer: Answer = retriever.answer(question.text, question.lang)
    return Outcome(
        question=question,
        ranked=[hit.id for hit in answer.hits if hit.lang == question.lang],
        answered=answer.entry.id if answer.is_answer and answer.entry else None,
        confidence=answer.confidence,
        ms=answer.elapsed_ms,
    )


def _ratio(num: int, den: int) -> float:
    return round(num / den, 4) if den else 0.0


def _rank(outcome: Outcome) -> int | None:
    topic = outcome.question.topic
    return outcome.ranked.index(topic) + 1 if topic in outcome.ranked else None


def compute_metrics(outcomes: list[Outcome]) -> Metrics:
    """Return the metrics of a list of outcomes.

    Recall@k and MRR are over in-scope questions (ranking). ``false_answer_rate`` is the
    share of the bot's answers that are wrong: a wrong topic, or any topic where it should
    have abstained.
    """
    in_scope = [o for o in outcomes if o.question.topic is not None]
    ranks = [_rank(o) for o in in_scope]
    abstained = [o for o in outcomes if o.answered is None]
    answered = [o for o in outcomes if o.answered is not None]
    wrong = [o for o in answered if o.answered != o.question.topic]
    out_scope = [o for o in outcomes if o.question.topic is None]
    times = np.array([o.ms for o in outcomes]) if outcomes else np.zeros(1)
    return Metrics(
        n=len(outcomes),
        recall_at_1=_ratio(sum(r == 1 for r in ranks), len(in_scope)),
        recall_at_3=_ratio(sum(r is not None and r <= 3 for r in ranks), len(in_scope)),
        mrr=round(float(np.mean([1 / r if r else 0.0 for r in ranks])), 4) if ranks else 0.0,
        abstain_precision=_ratio(sum(o.question.topic is None for o in abstained), len(abstained)),
        abstain_recall=_ratio(sum(o.answered is None for o in out_scope), len(out_scope)),
        false_answer_rate=_ratio(len(wrong), len(answered)),
        p50_ms=round(float(np.percentile(times, 50)), 2),
        p99_ms=round(float(np.percentile(times, 99)), 2),
    )


def evaluate(retriever: Retriever, questions: list[EvalQuestion]) -> EvalReport:
    """Run every question and return the overall and per-language metrics."""
    for question in questions[:3]:
        retriever.answer(question.text, question.lang)  # warm-up, not timed
    outcomes = [run_question(retriever, q) for q in questions]
    langs = sorted({o.question.lang for o in outcomes})
    by_lang = {
        lang: compute_metrics([o for o in outcomes if o.question.lang == lang]) for lang in langs
    }
    return EvalReport(**compute_metrics(outcomes).model_dump(), by_lang=by_lang)
