"""Search forms of readings and phone numbers."""

from __future__ import annotations

from api.text import kana_key, like_pattern, phone_key


def test_kana_in_any_script_and_spacing_is_one_key():
    assert (
        kana_key("ヤマダ ハナコ")
        == kana_key("やまだ　はなこ")
        == kana_key("ﾔﾏﾀﾞﾊﾅｺ")
        == "やまだはなこ"
    )


def test_phone_digits_only():
    assert phone_key("０４２-５２３-１１１１") == phone_key("(042) 523 1111") == "0425231111"


def test_like_wildcards_are_escaped():
    assert like_pattern("50%_off") == "%50\\%\\_off%"
