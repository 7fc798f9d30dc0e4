"""The read-only instrument page and the health route."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app.config import Settings
from app.factory import create_app
from tests import html


class _Cells(HTMLParser):
    """Collect the text of table cells and headings, to assert on structure, not substrings."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.headings: list[str] = []
        self._stack: list[str] = []
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("td", "th", "h1", "h2"):
            self._stack.append(tag)
            self._text = []

    def handle_endtag(self, tag):
        if self._stack and tag == self._stack[-1]:
            self._stack.pop()
            text = " ".join("".join(self._text).split())
            (self.headings if tag in ("h1", "h2") else self.cells).append(text)

    def handle_data(self, data):
        if self._stack:
            self._text.append(data)


def _parse(html: str) -> _Cells:
    parser = _Cells()
    parser.feed(html)
    return parser


def test_health_reports_the_loaded_instrument(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "instrument": "kla-2024", "questions": 274}


def test_catalogue_page_lists_parts_with_totals_in_indonesian(client):
    response = client.get("/instrumen")
    assert response.status_code == 200
    page = _parse(response.text)
    assert "Jumlah" in page.cells
    total_row = page.cells[page.cells.index("Jumlah") :][:4]
    assert total_row == ["Jumlah", "31", "274", "1000,00"]
    assert any(h.startswith("KL · Kelembagaan") for h in page.headings)
    assert any(cell == "1.1" for cell in page.cells)


def test_catalogue_page_switches_to_english(client):
    response = client.get("/instrumen?lang=en")
    page = _parse(response.text)
    assert "Total" in page.cells
    assert page.cells[page.cells.index("Total") :][:4] == ["Total", "31", "274", "1000.00"]
    assert client.cookies.get("kla_lang") == "en"
    # The choice sticks for the next page.
    assert "Total" in _parse(client.get("/instrumen").text).cells


def test_htmx_request_gets_only_the_part_list(client):
    response = client.get("/instrumen?part=K5", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="part-list"')
    assert "<html" not in response.text
    tree = html.page(response)
    assert "Indikator 21A" in html.text_of(tree) and not html.mentions(tree, "Indikator 4 ")
    assert "HX-Request" in response.headers["Vary"]


def test_broken_catalogue_stops_the_start(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("parts: [\n", encoding="utf-8")
    from indicators import CatalogueError

    with pytest.raises(CatalogueError):
        create_app(Settings(data_dir=tmp_path, catalogue_file=broken))


def test_a_signed_in_user_keeps_the_header(client, world, auth):
    assert not html.page(client.get("/instrumen")).xpath(f"//*[{html.has_class('who')}]")
    auth.login(client, "opd_a")
    page = html.page(client.get("/instrumen"))
    assert page.xpath(f"//*[{html.has_class('who')}]") and "Beranda" in html.texts(page, "//a")
