"""Pages read as HTML, not as strings: a test asks for an element and its text, so it does not
break when markup around the text changes, and it fails when the text moves out of the element
it belongs to. XPath only (lxml's CSS selectors need cssselect, which is not installed).

    tree = page(response)
    assert "Tersimpan" in text_of(tree, "//*[@role='status']")
    assert texts(tree, "//li[@class='error']") == ["..."]
    assert tree.xpath("//form[@action='/keluar']")
"""

from __future__ import annotations

from typing import Any

from lxml import html as lxml_html  # type: ignore[import-untyped]  # lxml ships no stubs
from lxml.html import HtmlElement  # type: ignore[import-untyped]


def page(response_or_text: Any) -> HtmlElement:
    """The parsed document of a response (or of HTML text); fragments are wrapped in html/body,
    so `//` paths work the same on a full page and on an HTMX partial."""
    text = response_or_text if isinstance(response_or_text, str) else response_or_text.text
    return lxml_html.document_fromstring(text or "<html></html>")


def squash(text: str) -> str:
    """Whitespace collapsed to single spaces, as a reader sees the text."""
    return " ".join(text.split())


def _text(node: Any) -> str:
    return squash(node if isinstance(node, str) else node.text_content())


def texts(tree: HtmlElement, xpath: str) -> list[str]:
    """The text (squashed) of each element the path finds, or each attribute value / string."""
    found = tree.xpath(xpath)
    if isinstance(found, str):
        return [squash(found)]
    return [_text(node) for node in found]


def text_of(tree: HtmlElement, xpath: str = ".") -> str:
    """All text (squashed) of what the path finds, joined by spaces; "" if it finds nothing.
    Without a path: the whole page's text, markup and attributes left out."""
    return " ".join(texts(tree, xpath))


def one(tree: HtmlElement, xpath: str) -> HtmlElement:
    """The one element the path finds; fails the test if there is none or more than one."""
    found = tree.xpath(xpath)
    assert len(found) == 1, f"{xpath!r} found {len(found)} elements"
    return found[0]


def attrs(tree: HtmlElement, xpath: str) -> list[str]:
    """The values an attribute path finds, e.g. "//a/@href"."""
    return [str(value) for value in tree.xpath(xpath)]


def has_class(name: str) -> str:
    """An XPath predicate for an element with CSS class `name` among others."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def mentions(tree: HtmlElement, text: str) -> bool:
    """Whether `text` is in the page's text or in any attribute value (a link, an hx-get): what a
    substring check on the raw body found, read after entities are decoded."""
    return text in tree.text_content() or any(text in value for value in tree.xpath("//@*"))
