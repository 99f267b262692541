"""FAQ knowledge base: Markdown documents, a hybrid FAISS + BM25 retriever, answer or abstain.

Other packages use only the names in ``__all__``.
"""

from knowledge_base.config import KbSettings, get_settings
from knowledge_base.documents import (
    document_path,
    load_documents,
    parse_document,
    render_document,
    write_atomic,
)
from knowledge_base.encoders import Encoder, ModelNotFoundError, UseEncoder, load_encoders
from knowledge_base.index import CorruptIndexError
from knowledge_base.lint import lint, lint_entries
from knowledge_base.models import (
    Answer,
    BuildReport,
    Decision,
    FaqEntry,
    LintIssue,
    LintReport,
    SearchHit,
    Severity,
)
from knowledge_base.retriever import HybridRetriever, Retriever
from knowledge_base.service import (
    build_index,
    load_retriever,
    refresh_retriever,
    search,
    update_documents,
    version_value,
)
from knowledge_base.watch import watch_and_rebuild

__all__ = [
    "Answer",
    "BuildReport",
    "CorruptIndexError",
    "Decision",
    "Encoder",
    "FaqEntry",
    "HybridRetriever",
    "KbSettings",
    "LintIssue",
    "LintReport",
    "ModelNotFoundError",
    "Retriever",
    "SearchHit",
    "Severity",
    "UseEncoder",
    "build_index",
    "document_path",
    "get_settings",
    "lint",
    "lint_entries",
    "load_documents",
    "load_encoders",
    "load_retriever",
    "parse_document",
    "refresh_retriever",
    "render_document",
    "search",
    "update_documents",
    "version_value",
    "watch_and_rebuild",
    "write_atomic",
]
