"""The Gugus Tugas pages share one row of tabs (templates/taskforce/_tabs.html): each page marks its own
tab as the current one (aria-current), so a reader on a phone knows where they are."""

from __future__ import annotations

import pytest

from tests.html import page, texts


def _current(client, url) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    return texts(page(response), "//nav[contains(@class, 'taskforce-tabs')]//a[@aria-current='page']")


@pytest.mark.parametrize(("path", "tab"), [
    ("/gugus-tugas", "Members and SK"),
    ("/gugus-tugas/rapat", "Meetings and activities"),
    ("/gugus-tugas/rapat/baru", "Meetings and activities"),
    ("/gugus-tugas/rad", "RAD KLA"),
])
def test_each_page_marks_its_own_tab(make_client, auth, world, path, tab):
    client = make_client()
    auth.login(client, "dp3a_a")
    client.cookies.set("kla_lang", "en")
    assert _current(client, world.base() + path) == [tab]
