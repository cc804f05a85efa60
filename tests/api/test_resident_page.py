"""The residents' page (/resident) and the call list partial of the operator page: served
in Japanese with furigana, in English on request, every string key known."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from api.settings import Settings
from api.web import i18n
from api.web.pages import STATIC_DIR, TEMPLATE_DIR, ruby
from tests.api.test_pages import make_app, parse

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r".*install `httpx2`", category=UserWarning)
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    settings = Settings(data_dir=data_dir, cache_dir=tmp_path_factory.mktemp("cache"))
    with TestClient(make_app(settings)) as c:
        yield c


def test_furigana_notation_becomes_ruby_and_escapes_the_rest():
    assert str(ruby("{予約|よやく}する")) == "<ruby>予約<rt>よやく</rt></ruby>する"
    assert str(ruby("<b>{a|b}")) == "&lt;b&gt;<ruby>a<rt>b</rt></ruby>"
    assert str(ruby("{<x>|y}")) == "<ruby>&lt;x&gt;<rt>y</rt></ruby>"


def test_resident_page_is_japanese_with_furigana(client):
    res = client.get("/resident")
    assert res.status_code == 200 and '<html lang="ja">' in res.text
    assert "<ruby>登録番号<rt>とうろくばんごう</rt></ruby>" in res.text
    assert ">乗合タクシーの予約 — " in res.text  # the title, without furigana
    assert 'data-token-key="noriai.resident"' in res.text
    assert 'name="viewport"' in res.text and "resident.js" in res.text
    page = parse(res.text)
    ids = [v for _, n, v in page.attrs if n == "id"]
    assert len(ids) == len(set(ids))
    labelled = {v for tag, n, v in page.attrs if tag == "label" and n == "for"}
    assert {"res-reg", "res-pin", "res-day", "res-time"} <= labelled
    english = client.get("/resident", params={"lang": "en"}).text
    assert '<html lang="en">' in english and "Registration number" in english
    assert "<ruby>" not in english


def test_every_furigana_key_exists_and_english_has_none():
    text = (TEMPLATE_DIR / "resident.html").read_text()
    text += (STATIC_DIR / "resident.js").read_text()
    keys = set(re.findall(r'data-ruby="([\w.]+)"', text))
    keys |= set(re.findall(r"""\b(?:ruby|rubyNodes|plain)\(\s*["']([\w.]+)["']""", text))
    assert len(keys) > 15
    assert not keys - set(i18n.STRINGS), sorted(keys - set(i18n.STRINGS))
    for key, (ja, en) in i18n.STRINGS.items():
        assert "|" not in en, key
        assert ja.count("{") == ja.count("}"), key


def test_operator_page_has_the_call_list_panel(client):
    html = client.get("/operator").text
    assert 'id="call-list"' in html and "call_list.js" in html and "call_list.css" in html
    assert i18n.STRINGS["cl.title"][0] in html and 'id="cl-remind"' in html
