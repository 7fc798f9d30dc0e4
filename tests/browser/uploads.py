"""What the issue-25 upload tests share (test_resumable_upload, test_photos_fit): the Kemenag's questions
they own, test files, the stored file's bytes, and a look at a state at both widths."""

from __future__ import annotations

import hashlib
import io
import random
import re
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import Locator, Page, expect

from tests.browser.helpers import Question, login_as, no_horizontal_scroll, shot

# The Kemenag of Palangka Raya: only test_phone_pages uses it (its first open question). These tests take
# questions further down its list, by their place among all its questions (a draft stays in the list).
USER = "kemenag.palangkaraya"
ANYWHERE = re.compile(r"^(?!.*/masuk).*$")
SLOTS = {"cut": 2, "reload": 3, "exif": 4, "bind-desktop": 5, "bind-phone": 6}
WIDTHS = {"desktop": (1280, 900), "phone": (360, 780)}
UPLOADED = "1 berkas diunggah"


def owned_question(page: Page, base: str, catalogue, slot: str) -> Question:
    """Log in as the Kemenag and return the question this test owns (editable, not sensitive)."""
    login_as(page, base, USER, ANYWHERE)
    codes = page.eval_on_selector_all(
        "details.question",
        """rows => rows
            .filter(d => /status-(empty|draft)/.test(d.querySelector('summary span[id^="badge-"]').className))
            .map(d => d.querySelector('summary .code').textContent.trim())""",
    )
    codes = [c for c in codes if not catalogue.questions[c].question.sensitive]
    code = codes[SLOTS[slot]]
    return Question(code, code.replace(".", "_"))


def stored_bytes(page: Page, card: Locator, question: Question, name: str) -> bytes:
    """The file as the card's download link serves it."""
    link = card.locator(f"#evidence-{question.dom} a.file-open", has_text=name)
    expect(link).to_be_visible()
    response = page.request.get(urljoin(page.url, link.get_attribute("href")))
    assert response.ok, f"the stored file cannot be downloaded: {response.status}"
    return response.body()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def noise_pdf(path: Path, megabytes: float = 2.0) -> Path:
    """A real PDF (fpdf2) of about `megabytes`, made of a noise image: every chunk of it differs."""
    from fpdf import FPDF
    from PIL import Image

    rng = random.Random(25)
    side = int((megabytes * 1024 * 1024 / 3) ** 0.5)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")  # lossless: as large as its noise
    pdf = FPDF(unit="pt", format=(side * 0.75, side * 0.75))
    pdf.add_page()
    pdf.image(buffer, x=0, y=0, w=side * 0.75, h=side * 0.75)
    pdf.output(str(path))
    return path


def both_widths(page: Page, artifacts: Path, name: str, target: Locator | None = None) -> None:
    """The state as it is, at 1280 and at 360 px: no sideways scroll, a screenshot of each."""
    before = page.viewport_size
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        scroll, inner = no_horizontal_scroll(page)
        assert scroll <= inner, f"{name} at {width} px scrolls sideways: {scroll} px wide"
        shot(target if target is not None else page, artifacts, f"i25-{name}-{label}")
    page.set_viewport_size(before)
