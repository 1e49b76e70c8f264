from __future__ import annotations

from datetime import date

import pytest

from bot import fields as F

CTX = F.Context(today=date(2026, 11, 26))


def read(key: str, text: str):
    return F.BY_KEY[key].read(text, CTX)


def reason(key: str, text: str) -> str:
    with pytest.raises(F.Invalid) as e:
        read(key, text)
    return e.value.code


@pytest.mark.parametrize("text, value", [
    ("損害保険会社", "non_life"), ("1", "non_life"), ("１", "non_life"), ("損保です", "non_life"),
    ("Non-life insurance company", "non_life"), ("その他", "other"), ("2", "other"),
    ("損害保険会社以外", "other"),
])
def test_industry_choices(text, value):
    assert read("industry", text) == value


def test_industry_rejects_unknown_and_out_of_range_numbers():
    # 銀行 names another industry since issue 12 (it ends the application): nonsense is re-asked
    assert reason("industry", "よろしくお願いします") == "unknown_choice"
    assert F.BY_KEY["industry"].read("銀行", F.Context(today=date(2026, 11, 26))) == "other"
    assert reason("industry", "3") == "unknown_choice"
    assert reason("industry", "  ") == "required"


@pytest.mark.parametrize("text", ["ＡＢＣ損害保険株式会社", "  ABC損害保険株式会社 "])
def test_company_name_is_nfkc_and_trimmed(text):
    assert read("company_name", text) == "ABC損害保険株式会社"


def test_text_length_limits():
    assert read("office_name", "x" * 100) == "x" * 100
    assert reason("office_name", "x" * 101) == "too_long"
    assert reason("change_reason", "短い") == "too_short"
    assert read("change_reason", "端末を追加します") == "端末を追加します"
    assert reason("change_reason", "あ" * 401) == "too_long"


def test_single_line_fields_collapse_line_breaks_but_reason_keeps_them():
    assert read("applicant_department", "業務部\nシステム課") == "業務部 システム課"
    assert read("change_reason", "一行目です。\n二行目です。") == "一行目です。\n二行目です。"


BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.mark.parametrize("key, text, value", [
    ("company_name", "ABC\u202e社損保", "ABC社損保"),  # U+202E would show 保損社 after it
    ("change_reason", f"端末を{BIDI}追加します。\n\u2067二行目\u2069です。", "端末を追加します。\n二行目です。"),
    ("remarks", "\u200f備考\u200eです", "備考です"),
    ("applicant_email", "taro\u202e@example.co.jp", "taro@example.co.jp"),
    ("name_english", "\u2066ABC Sonpo\u2069", "ABC Sonpo"),
])
def test_bidi_controls_are_never_kept_in_an_answer(key, text, value):
    assert read(key, text) == value


@pytest.mark.parametrize("text, value", [("abc12", "ABC12"), ("ＡＢＣ１２", "ABC12"), ("a b c 1 2", "ABC12")])
def test_user_code_upper_cased(text, value):
    assert read("user_code", text) == value


@pytest.mark.parametrize("text", ["ABC1", "ABC123", "AB-12", "あいうえお"])
def test_user_code_needs_five_letters_or_digits(text):
    assert reason("user_code", text) == "user_code_format"


@pytest.mark.parametrize("text, value", [("0", 0), ("３", 3), ("3台", 3), ("999", 999), ("１２台", 12)])
def test_netnaccs_terminals(text, value):
    assert read("netnaccs_terminals", text) == value


def test_integer_range_and_format():
    assert reason("netnaccs_terminals", "1000") == "out_of_range"
    assert reason("netnaccs_terminals", "-1") == "out_of_range"
    assert reason("netnaccs_terminals", "三台") == "not_integer"
    assert reason("certificate_count", "0") == "out_of_range"
    assert read("certificate_count", "99") == 99
    assert reason("certificate_count", "100") == "out_of_range"


@pytest.mark.parametrize("text, value", [
    ("1", ["webnaccs_terminals"]),
    ("2", ["webnaccs_terminals", "user_code"]),  # terminals are always included
    ("1,2", ["webnaccs_terminals", "user_code"]),
    ("１、２", ["webnaccs_terminals", "user_code"]),
    ("1 2", ["webnaccs_terminals", "user_code"]),
    ("webNACCS端末の登録情報（追加・削除）", ["webnaccs_terminals"]),
    ("端末と利用者コード", ["webnaccs_terminals", "user_code"]),
    ("terminals, user code", ["webnaccs_terminals", "user_code"]),
])
def test_change_items(text, value):
    assert read("change_items", text) == value


def test_change_items_rejects_unknown_part():
    assert reason("change_items", "1,3") == "unknown_choice"
    assert reason("change_items", "端末,パスワード") == "unknown_choice"


@pytest.mark.parametrize("text, value", [
    ("taro@example.co.jp", "taro@example.co.jp"),
    ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "taro@example.co.jp"),
    ("山田 太郎 <Taro@Example.CO.JP>", "Taro@example.co.jp"),
    ("mailto:taro@example.co.jp", "taro@example.co.jp"),
])
def test_email(text, value):
    assert read("applicant_email", text) == value


@pytest.mark.parametrize("text", ["taro", "taro@", "taro@example", "taro@@example.co.jp", "a b@example.co.jp"])
def test_email_rejected(text):
    assert reason("admin_email", text) == "email_invalid"


@pytest.mark.parametrize("text, value", [
    ("03-1234-5678", "03-1234-5678"), ("0312345678", "03-1234-5678"),
    ("０３－１２３４－５６７８", "03-1234-5678"), ("090-1234-5678", "090-1234-5678"),
    ("(03) 1234-5678", "03-1234-5678"), ("+81 3 1234 5678", "03-1234-5678"),
    ("03ー1234ー5678", "03-1234-5678"),
])
def test_phone(text, value):
    assert read("applicant_phone", text) == value


def test_phone_rejections():
    assert reason("applicant_phone", "1234") == "phone_digits"
    assert reason("applicant_phone", "031234567890") == "phone_digits"
    assert reason("applicant_phone", "03-1234-567a") == "phone_format"
    assert reason("applicant_phone", "0012345678") == "phone_invalid"


@pytest.mark.parametrize("text, value", [
    ("マルマル", "マルマル"), ("まるまる", "マルマル"),
    ("ﾏﾙﾏﾙ ｿﾝﾎﾟ", "マルマル ソンポ"), ("えーびーしー", "エービーシー"),
])
def test_kana_converted_to_katakana(text, value):
    assert read("name_kana", text) == value


def test_kana_rejects_kanji_and_latin():
    assert reason("name_kana", "丸丸") == "kana_only"
    assert reason("name_kana", "ABC") == "kana_only"


def test_english_name_is_ascii():
    assert read("name_english", "ＡＢＣ Fire & Marine") == "ABC Fire & Marine"
    assert reason("name_english", "ABC損保") == "ascii_only"


@pytest.mark.parametrize("text", ["なし", "無し", "skip", "ＮＯＮＥ", "特になし", ""])
def test_remarks_skip_words_leave_it_empty(text):
    assert read("remarks", text) == ""


def test_remarks_limit():
    assert read("remarks", "請求書は本社宛にお願いします") == "請求書は本社宛にお願いします"
    assert reason("remarks", "あ" * 401) == "too_long"


def test_name_tab_applies_only_with_user_code():
    without = [f.key for f in F.applicable({"change_items": ["webnaccs_terminals"]})]
    with_code = [f.key for f in F.applicable({"change_items": ["webnaccs_terminals", "user_code"]})]
    assert "name_kana" not in without
    assert with_code.index("name_kanji") == with_code.index("admin_email") + 1
    assert with_code[-2:] == ["certificate_count", "remarks"]


def test_fixed_settings_only_with_user_code():
    assert F.fixed_settings({"change_items": ["webnaccs_terminals"]}) is None
    fixed = F.fixed_settings({"change_items": ["webnaccs_terminals", "user_code"]})
    assert fixed == {"system_type": "shared", "single_sign_on": False, "industry": "non_life",
                     "processing_method": "netnaccs", "identifier_count": 1, "options": [False] * 3}


def test_find_field_by_label_key_or_number():
    assert F.find_field("電話").key == "applicant_phone"
    assert F.find_field("company_name").key == "company_name"
    assert F.find_field("Phone").key == "applicant_phone"
    assert F.find_field("2").key == "company_name"
    assert F.find_field("存在しない") is None
