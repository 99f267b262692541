"""The editor's preview renders WhatsApp formatting as customers see it, and nothing else."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.web.whatsapp_format import to_html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*Orari*", "<p><strong>Orari</strong></p>"),
        ("_solo_ oggi", "<p><em>solo</em> oggi</p>"),
        ("~9:00~ 9:30", "<p><del>9:00</del> 9:30</p>"),
        ("*_entrambi_*", "<p><strong><em>entrambi</em></strong></p>"),
        ("file_name_here e 2*3*4", "<p>file_name_here e 2*3*4</p>"),  # inside words: literal
        ("* non grassetto *", "<ul><li>non grassetto *</li></ul>"),  # a bullet, not bold
        ("a * b * c", "<p>a * b * c</p>"),  # markers next to spaces do nothing
        ("`via Vigevano`", "<p><code>via Vigevano</code></p>"),
        ("```*raw*```", "<p><code>*raw*</code></p>"),
        ("> citazione", "<blockquote>citazione</blockquote>"),
    ],
)
def test_inline_styles(text: str, expected: str) -> None:
    assert to_html(text) == expected


def test_lists_paragraphs_and_line_breaks() -> None:
    text = "*Documenti*\nPortate:\n- carta d'identità\n- codice fiscale\n\n1. firma\n2. rogito"
    assert to_html(text) == (
        "<p><strong>Documenti</strong><br>Portate:</p>"
        "<ul><li>carta d&#x27;identità</li><li>codice fiscale</li></ul>"
        "<ol><li>firma</li><li>rogito</li></ol>"
    )


def test_links_become_safe_anchors() -> None:
    out = to_html("Prenota su https://casanavigli.example/visite. Oppure www.example.it")
    assert '<a href="https://casanavigli.example/visite" rel="noopener noreferrer"' in out
    assert out.count("</a>") == 2 and "visite</a>." in out
    assert 'href="https://www.example.it"' in out


def test_markup_in_documents_is_escaped() -> None:
    out = to_html('<script>alert(1)</script> *<b onclick="x">*')
    assert "<script>" not in out and "<b " not in out
    assert "&lt;script&gt;" in out


@given(st.text(max_size=300))
def test_any_text_renders_without_raw_angle_brackets_from_the_input(text: str) -> None:
    out = to_html(text)
    allowed = {"p", "br", "strong", "em", "del", "code", "ul", "ol", "li", "blockquote", "a"}
    tags = set(re.findall(r"</?([a-z]+)", out))
    assert tags <= allowed
