"""Issue 25, photos that fit: a 12 MP camera photo (EXIF orientation 6) arrives at about 2 MP, upright;
three photos bound into one PDF arrive as one file, one page per photo, in the order the user chose."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.helpers import open_card
from tests.browser.uploads import UPLOADED, both_widths, owned_question, stored_bytes

RED, GREEN, BLUE = (220, 30, 30), (30, 170, 60), (30, 60, 220)


def _close(pixel, colour, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def test_a_large_photo_arrives_downsized_and_upright(desktop_page, live_server, artifacts, catalogue, tmp_path):
    page = desktop_page
    question = owned_question(page, live_server, catalogue, "exif")
    card = open_card(page, question)

    # As a phone camera stores a portrait shot: landscape pixels (4000 x 3000, 12 MP) and orientation 6
    # (turn 90° clockwise to view). Its left half is red: upright, red is on top.
    raw = Image.new("RGB", (4000, 3000), BLUE)
    raw.paste(RED, (0, 0, 2000, 3000))
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = tmp_path / "foto-kamera.jpg"
    raw.save(photo, "JPEG", quality=90, exif=exif)

    card.locator("form.upload input[type=file]").set_input_files(photo)
    notes = card.locator(".photo-notes")
    expect(notes).to_contain_text("12 MP")
    expect(notes).to_contain_text("2 MP")
    assert card.locator(".photo-bind").is_hidden()  # one photo: nothing to bind
    both_widths(page, artifacts, "photo-reduced", page.locator(question.row))

    card.locator("form.upload button[type=submit]").click()
    expect(card.locator(f"#upload-msg-{question.dom}")).to_contain_text(UPLOADED)
    stored = Image.open(io.BytesIO(stored_bytes(page, card, question, "foto-kamera.jpg")))
    width, height = stored.size
    assert stored.format == "JPEG"
    assert width < height, f"the orientation was not applied: {width} x {height}"
    assert 1_800_000 <= width * height <= 2_200_000, f"{width} x {height} is not about 2 MP"
    assert stored.getexif().get(0x0112, 1) == 1  # upright in its pixels, no rotation left to a viewer
    rgb = stored.convert("RGB")
    assert _close(rgb.getpixel((width // 2, height // 8)), RED), "the top of the upright photo is not red"
    assert _close(rgb.getpixel((width // 2, height * 7 // 8)), BLUE), "the bottom of the upright photo is not blue"
    both_widths(page, artifacts, "photo-uploaded", page.locator(question.row))


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_three_photos_bound_into_one_pdf_in_the_chosen_order(width, request, live_server, artifacts, catalogue,
                                                             tmp_path):
    page = request.getfixturevalue(f"{width}_page")
    question = owned_question(page, live_server, catalogue, f"bind-{width}")
    card = open_card(page, question)

    # Three pages of a paper document, told apart by size and colour (all below 2 MP: none redrawn).
    specs = [("halaman-a.jpg", (800, 600), RED), ("halaman-b.jpg", (600, 800), GREEN),
             ("halaman-c.jpg", (700, 700), BLUE)]
    files = []
    for name, size, colour in specs:
        Image.new("RGB", size, colour).save(tmp_path / name, "JPEG", quality=90)
        files.append(tmp_path / name)
    card.locator("form.upload input[type=file]").set_input_files(files)

    bind = card.locator(".photo-bind")
    expect(bind).to_be_visible()
    order = bind.locator(".photo-order li")
    expect(order).to_have_count(3)
    # The last photo goes first, with the keyboard-reachable buttons: C, A, B.
    up_c = order.nth(2).locator(".photo-up")
    up_c.click()
    expect(order.nth(1)).to_contain_text("halaman-c.jpg")
    page.keyboard.press("Enter")  # the focus stayed on the photo moved: once more
    expect(order.nth(0)).to_contain_text("halaman-c.jpg")
    assert order.nth(0).locator(".photo-up").is_disabled()
    assert [order.nth(i).locator(".photo-name").inner_text() for i in range(3)] == [
        "halaman-c.jpg", "halaman-a.jpg", "halaman-b.jpg"]
    bind.locator(".photo-bind-on").check()
    both_widths(page, artifacts, f"photo-order-{width}", page.locator(question.row))

    card.locator("form.upload button[type=submit]").click()
    expect(card.locator(f"#upload-msg-{question.dom}")).to_contain_text(UPLOADED)
    links = card.locator(f"#evidence-{question.dom} li")
    expect(links).to_have_count(1)  # one file, not three
    name = links.first.locator("a.file-open").inner_text().strip()
    assert name.endswith(".pdf")
    reader = PdfReader(io.BytesIO(stored_bytes(page, card, question, name)))
    assert len(reader.pages) == 3
    sizes = [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages]
    assert sizes == [(525, 525), (600, 450), (450, 600)], sizes  # C, A, B at 96 dpi
    colours = []
    for pdf_page in reader.pages:  # the image each page draws (jsPDF shares one resource list among pages)
        drawn = re.search(rb"/(\w+)\s+Do", pdf_page.get_contents().get_data()).group(1).decode()
        xobject = pdf_page["/Resources"]["/XObject"]["/" + drawn].get_object()
        image = Image.open(io.BytesIO(xobject._data)).convert("RGB")  # the JPEG as embedded (DCTDecode)
        colours.append(image.getpixel((image.width // 2, image.height // 2)))
    assert _close(colours[0], BLUE) and _close(colours[1], RED) and _close(colours[2], GREEN), colours
    both_widths(page, artifacts, f"photo-bound-{width}", page.locator(question.row))
