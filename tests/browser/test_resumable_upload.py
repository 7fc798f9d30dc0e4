"""Issue 25, resumable uploads: an upload cut at about 60 % goes on from the server's offset when the line
comes back, and after a reload the same file chosen again on the same question does too; the stored file
is the local one, byte for byte (SHA-256)."""

from __future__ import annotations

import time
from urllib.parse import urljoin

from playwright.sync_api import expect

from tests.browser.helpers import forgive, open_card
from tests.browser.uploads import UPLOADED, both_widths, noise_pdf, owned_question, sha256, stored_bytes

CHUNK = 128 * 1024  # small chunks, so that a cut falls between two of them at a known place
WAIT_MS = 60_000  # the retries wait 0, 1, 3, 5... seconds: a resumed upload takes a while


class Line:
    """The network between the page and /tus/, as a test wants it: counting what goes, cut on demand."""

    def __init__(self, page, cut_after: int | None = None):
        self.cut = False
        self.cut_after = cut_after  # cut the line at this PATCH (the bytes of the ones before it arrived)
        self.patches: list[tuple[int, int]] = []  # (Upload-Offset, body length) of each PATCH let through
        self.heads = 0
        page.route("**/tus/**", self.handle)

    def handle(self, route) -> None:
        request = route.request
        if request.method == "PATCH" and self.cut_after is not None and len(self.patches) >= self.cut_after:
            self.cut, self.cut_after = True, None
        if self.cut:
            route.abort("internetdisconnected")
            return
        if request.method == "PATCH":
            self.patches.append((int(request.headers["upload-offset"]), len(request.post_data_buffer or b"")))
        if request.method == "HEAD":
            self.heads += 1
        route.continue_()

    def sent(self) -> int:
        return sum(length for _, length in self.patches)


def _small_chunks(card) -> int:
    card.locator(".upload-plus").evaluate(f"box => box.dataset.chunkBytes = '{CHUNK}'")
    return int(card.locator(".upload-plus").get_attribute("data-chunk-bytes"))


def _wait(page, predicate, seconds: float = 30) -> None:
    """Wait while Playwright runs the route handlers (a plain sleep would hold them back)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "waited in vain"
        page.wait_for_timeout(100)


def _dropped(error: str) -> bool:  # the requests this test cut on purpose
    return "ERR_INTERNET_DISCONNECTED" in error


def test_an_upload_cut_at_60_percent_resumes_from_the_server_offset(desktop_page, live_server, artifacts, catalogue,
                                                                    tmp_path):
    page = desktop_page
    question = owned_question(page, live_server, catalogue, "cut")
    card = open_card(page, question)
    pdf = noise_pdf(tmp_path / "bukti-terputus.pdf", 2.0)
    size = pdf.stat().st_size
    chunk = _small_chunks(card)
    chunks = -(-size // chunk)
    line = Line(page, cut_after=round(chunks * 0.6))

    card.locator("form.upload input[type=file]").set_input_files(pdf)
    card.locator("form.upload button[type=submit]").click()
    _wait(page, lambda: line.cut)
    held = line.sent()
    assert 0.5 * size <= held <= 0.7 * size, f"cut at {held} of {size} bytes"
    expect(card.locator(".upload-status")).not_to_be_empty()
    page.wait_for_timeout(1500)  # a retry or two meet the dead line
    both_widths(page, artifacts, "upload-cut", page.locator(question.row))
    heads_before = line.heads
    line.cut = False  # the line comes back

    expect(card.locator(f"#upload-msg-{question.dom}")).to_contain_text(UPLOADED, timeout=WAIT_MS)
    after_cut = [offset for offset, _ in line.patches[round(chunks * 0.6):]]
    assert after_cut and after_cut[0] == held, f"resumed at {after_cut[:1]}, the server held {held}"
    assert line.heads > heads_before, "the client did not ask the server for its offset"
    assert line.sent() == size, f"{line.sent()} bytes sent for a file of {size}: something went twice"
    assert sha256(stored_bytes(page, card, question, pdf.name)) == sha256(pdf.read_bytes())
    both_widths(page, artifacts, "upload-resumed", page.locator(question.row))
    forgive(page, _dropped)


def test_after_a_reload_the_same_file_resumes_on_the_same_question(phone_page, live_server, artifacts, catalogue,
                                                                   tmp_path):
    page = phone_page
    question = owned_question(page, live_server, catalogue, "reload")
    card = open_card(page, question)
    pdf = noise_pdf(tmp_path / "bukti-dimuat-ulang.pdf", 1.5)
    size = pdf.stat().st_size
    chunk = _small_chunks(card)
    chunks = -(-size // chunk)
    line = Line(page, cut_after=chunks // 2)
    card.locator("form.upload input[type=file]").set_input_files(pdf)
    card.locator("form.upload button[type=submit]").click()
    _wait(page, lambda: line.cut)
    held = line.sent()

    # The page is reloaded in the middle, then the line is back. In that order: with the line back first,
    # the client's next retry could send more before the reload ends it (a busy machine saw 66 %, not 49 %).
    page.reload()
    page.unroute("**/tus/**")
    card = open_card(page, question)
    waiting = card.locator(".upload-waiting")
    expect(waiting).to_be_visible()
    expect(waiting.locator("li")).to_have_count(1)
    expect(waiting.locator("li")).to_contain_text(pdf.name)
    expect(waiting.locator("li")).to_contain_text(f"{held * 100 // size} %")
    both_widths(page, artifacts, "upload-waiting", page.locator(question.row))

    # The same file again on the same question: it goes on where the server stopped.
    line = Line(page)
    _small_chunks(card)
    card.locator("form.upload input[type=file]").set_input_files(pdf)
    card.locator("form.upload button[type=submit]").click()
    expect(card.locator(f"#upload-msg-{question.dom}")).to_contain_text(UPLOADED, timeout=WAIT_MS)
    assert line.patches and line.patches[0][0] == held, f"resumed at {line.patches[:1]}, the server held {held}"
    assert line.sent() == size - held
    assert sha256(stored_bytes(page, card, question, pdf.name)) == sha256(pdf.read_bytes())
    expect(waiting).to_be_hidden()
    forgive(page, _dropped)


def test_a_waiting_upload_can_be_cancelled(desktop_page, live_server, artifacts, catalogue, tmp_path):
    page = desktop_page
    question = owned_question(page, live_server, catalogue, "cut")
    card = open_card(page, question)
    pdf = noise_pdf(tmp_path / "bukti-dibatalkan.pdf", 1.0)
    _small_chunks(card)
    line = Line(page, cut_after=2)
    card.locator("form.upload input[type=file]").set_input_files(pdf)
    card.locator("form.upload button[type=submit]").click()
    _wait(page, lambda: line.cut)
    page.unroute("**/tus/**")
    page.reload()
    card = open_card(page, question)
    waiting = card.locator(".upload-waiting")
    expect(waiting.locator("li")).to_contain_text(pdf.name)
    url = page.evaluate("() => JSON.parse(localStorage.getItem(Object.keys(localStorage).find(k => k.startsWith('tus::')))).uploadUrl")
    waiting.locator("button.upload-cancel").click()
    expect(waiting).to_be_hidden()
    expect(card.locator(".upload-status")).to_contain_text(pdf.name)
    assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('tus::')).length") == 0
    gone = page.request.fetch(urljoin(page.url, url), method="HEAD", headers={"Tus-Resumable": "1.0.0"})
    assert gone.status in (404, 410), f"the cancelled upload is still there: {gone.status}"
    forgive(page, _dropped)
