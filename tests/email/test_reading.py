"""Reading inbound mail: the answer above (or below) the quote, charsets, HTML, programs."""

from __future__ import annotations

from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from handlers.email import fillin
from handlers.email.compose import markers
from handlers.email.quotes import answer_text
from handlers.email.reading import decode_bytes, decode_iso2022jp, html_to_text, read
from handlers.render import Renderer

MARKERS = markers(Renderer())
ORIGINAL = "##- この行より上にご返信ください -##\n\n【2/16】企業名を入力してください。\n"
QUOTED = "\n".join(f"> {line}" for line in ORIGINAL.split("\n"))


@pytest.mark.parametrize("body", [
    # Outlook (Japanese), with its separator and header block above an unquoted original
    "ABC損保\n\n________________________________\n差出人: WebNACCS申込アシスタント <webnaccs+x@localhost>\n"
    "送信日時: 2026年11月26日 10:00\n宛先: 山田 太郎 <taro@example.co.jp>\n件名: 【WebNACCS】申込\n\n" + ORIGINAL,
    # Outlook (English)
    "ABC損保\n\nFrom: WebNACCS <webnaccs+x@localhost>\nSent: Thursday, November 26, 2026 10:00 AM\n"
    "To: Taro <taro@example.co.jp>\nSubject: [WebNACCS]\n\n" + ORIGINAL,
    # Gmail (Japanese), the attribution wrapped over two lines
    "ABC損保\n\n2026年11月26日(木) 10:00 WebNACCS申込アシスタント <\nwebnaccs+x@localhost>:\n\n" + QUOTED,
    # Gmail (Japanese) on one line, full-width brackets
    "ABC損保\n\n2026年11月26日（木） 10:00 WebNACCS <webnaccs+x@localhost>:\n" + QUOTED,
    # Thunderbird, answer on top
    "ABC損保\n\nOn 2026/11/26 10:00, WebNACCS申込アシスタント wrote:\n" + QUOTED,
    # Thunderbird's default: the answer below the quote, then the signature
    "On 2026/11/26 10:00, WebNACCS申込アシスタント wrote:\n" + QUOTED + "\n\nABC損保\n\n-- \nTaro\n",
    # Gmail (English), wrapped
    "ABC損保\n\nOn Thu, Nov 26, 2026 at 10:00 AM WebNACCS <webnaccs+x@localhost>\nwrote:\n\n" + QUOTED,
    # old Outlook and its Japanese version
    "ABC損保\n\n-----Original Message-----\nFrom: WebNACCS\nSent: 2026/11/26\n" + ORIGINAL,
    "ABC損保\n\n-----元のメッセージ-----\n差出人: WebNACCS\n送信日時: 2026/11/26\n" + ORIGINAL,
    # Apple Mail (Japanese)
    "ABC損保\n\n2026/11/26 10:00、WebNACCS <webnaccs+x@localhost>のメール:\n\n" + QUOTED,
    # only our marker survives a client that quotes nothing else
    "ABC損保\n" + ORIGINAL,
    # greetings, a closing and a signature around the answer
    "WebNACCS申込アシスタント様\n\nお世話になっております。\n\nABC損保\n\nよろしくお願いいたします。\n"
    "山田\n━━━━━━━━\nABC損害保険株式会社\n\n" + QUOTED,
    "ABC損保\n\n--\n山田 太郎\n" + QUOTED,
])
def test_the_answer_is_what_the_person_typed(body):
    assert answer_text(body, MARKERS) == "ABC損保"


def test_a_date_with_weekday_and_time_is_an_answer_not_a_quote_header():
    assert answer_text("2027年1月4日(月) 10:00 から利用したいです\n\nOn x, WebNACCS wrote:\n" + QUOTED,
                       MARKERS) == "2027年1月4日(月) 10:00 から利用したいです"


def test_a_wrapped_gmail_attribution_above_a_bottom_posted_answer_is_dropped():
    body = "2026年11月26日(木) 10:00 WebNACCS <\nwebnaccs+x@localhost>:\n\n" + QUOTED + "\n\nABC損保\n"
    assert answer_text(body, MARKERS) == "ABC損保"


def test_an_empty_reply_has_no_answer_not_the_quote():
    assert answer_text("\n\nOn 2026/11/26 10:00, WebNACCS wrote:\n" + QUOTED, MARKERS) == ""
    assert answer_text("\n\n差出人: WebNACCS\n送信日時: 2026/11/26\n" + ORIGINAL, MARKERS) == ""


def test_a_multi_line_answer_keeps_its_lines():
    body = "新しい支店でWebNACCSを利用するため、\n端末を2台追加します。\n\n" + "On x, WebNACCS wrote:\n" + QUOTED
    assert answer_text(body, MARKERS) == "新しい支店でWebNACCSを利用するため、\n端末を2台追加します。"


# --- charsets and parts -------------------------------------------------------------------


def _mail(part, **headers):
    for k, v in {"From": "taro@example.co.jp", "To": "webnaccs@localhost", "Subject": "x",
                 "Message-ID": "<1@example.co.jp>", **headers}.items():
        part[k] = v
    return part.as_bytes()


@pytest.mark.parametrize("charset", ["iso-2022-jp", "shift_jis", "utf-8", "euc-jp"])
def test_japanese_charsets_are_read(charset):
    mail = read(_mail(MIMEText("株式会社テスト　本店", "plain", charset)), envelope_sender="t@x")
    assert mail.text.strip() == "株式会社テスト　本店"


def test_windows_extensions_in_iso_2022_jp_and_shift_jis_are_read():
    # Outlook writes ① and ㈱ into ISO-2022-JP (CP50220); Python's codec refuses them.
    raw = b"\x1b$B\x2d\x6a\x1b(BABC \x1b$B\x2d\x21\x1b(B"
    assert decode_iso2022jp(raw) == "㈱ABC ①"
    assert decode_bytes("㈱ABC ①".encode("cp932"), "Shift_JIS") == "㈱ABC ①"


@pytest.mark.parametrize("cte", ["quoted-printable", "base64"])
def test_transfer_encodings_are_undone(cte):
    part = MIMEText("", "plain", "utf-8")
    part.replace_header("Content-Transfer-Encoding", cte)
    payload = "損害保険会社\n".encode()
    if cte == "base64":
        import base64
        part.set_payload(base64.encodebytes(payload).decode())
    else:
        import quopri
        part.set_payload(quopri.encodestring(payload).decode())
    assert read(_mail(part), envelope_sender="t@x").text.strip() == "損害保険会社"


def test_html_only_mail_becomes_text_and_its_blockquote_a_quote():
    html = ("<div dir=ltr>ABC&amp;損保<br></div><div class=gmail_quote>"
            "<div class=gmail_attr>2026年11月26日(木) 10:00 WebNACCS &lt;w@x&gt;:</div>"
            "<blockquote>##- この行より上にご返信ください -##<br>質問</blockquote></div>"
            "<style>p {color: red}</style>")
    text = read(_mail(MIMEText(html, "html", "utf-8")), envelope_sender="t@x").text
    assert answer_text(text, MARKERS) == "ABC&損保"
    assert "> 質問" in html_to_text(html)


def test_attachments_are_ignored():
    mail = MIMEMultipart()
    mail.attach(MIMEText("3", "plain", "utf-8"))
    mail.attach(MIMEApplication(b"%PDF-1.4 ...", Name="form.pdf"))
    text_attachment = MIMEText("not this", "plain", "utf-8")
    text_attachment.add_header("Content-Disposition", "attachment", filename="note.txt")
    mail.attach(text_attachment)
    assert read(_mail(mail), envelope_sender="t@x").text.strip() == "3"


@pytest.mark.parametrize(("headers", "sender", "why"), [
    ({"Auto-Submitted": "auto-replied"}, "t@x", "auto_submitted"),
    ({"X-Autoreply": "yes"}, "t@x", "x-autoreply"),
    ({"X-Autorespond": "yes"}, "t@x", "x-autorespond"),
    ({"Precedence": "bulk"}, "t@x", "precedence"),
    ({"Precedence": "junk"}, "t@x", "precedence"),
    ({"List-Id": "<news.example.co.jp>"}, "t@x", "list"),
    ({}, "", "null_sender"),
    ({"From": "MAILER-DAEMON@example.co.jp"}, "t@x", "daemon"),
    ({"Subject": "自動応答: 【WebNACCS】"}, "t@x", "auto_subject"),
    ({"Auto-Submitted": "no"}, "t@x", None),
    ({}, "t@x", None),
])
def test_mail_sent_by_programs_is_recognised(headers, sender, why):
    assert read(_mail(MIMEText("x", "plain", "utf-8"), **headers), envelope_sender=sender).automatic == why


def test_a_mail_without_message_id_gets_a_stable_key():
    raw = MIMEText("x", "plain", "utf-8")
    raw["From"] = "taro@example.co.jp"
    first, second = read(raw.as_bytes(), envelope_sender="t@x"), read(raw.as_bytes(), envelope_sender="t@x")
    assert first.message_id is None and first.key == second.key and first.key.startswith("sha256:")


def test_a_from_with_two_addresses_has_no_sender():
    mail = read(_mail(MIMEText("x", "plain", "utf-8"), From="a@x.jp, b@y.jp"), envelope_sender="a@x.jp")
    assert mail.sender is None


# --- fill-in lines ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def labels():
    return fillin.Labels(Renderer())


def test_fill_in_lines_name_fields_in_either_language(labels):
    text = ("企業名: ABC損保\n事業所名：本店\n"
            "変更内容（1. webNACCS端末の登録情報（追加・削除）／2. 利用者コード）: 1,2\n"
            "申込担当者 メールアドレス: taro@example.co.jp\nCurrent user code: abc12\n"
            "Digital certificates (PCs): 2\n備考: \n\n山田\n会議は 10:00 から")
    assert fillin.parse(text, labels) == {
        "company_name": "ABC損保", "office_name": "本店", "change_items": "1,2",
        "applicant_email": "taro@example.co.jp", "user_code": "abc12", "certificate_count": "2"}


def test_a_multi_line_field_takes_the_lines_that_follow(labels):
    text = "変更する理由:\n新しい支店で利用するため、\n端末を追加します。\n電話番号: 03-1234-5678"
    assert fillin.parse(text, labels) == {"change_reason": "新しい支店で利用するため、\n端末を追加します。",
                                          "applicant_phone": "03-1234-5678"}


def test_plain_answers_are_not_fill_in_lines(labels):
    for text in ("損害保険会社", "10:00", "修正: 電話", "https://example.co.jp/", "2027/1/4 10:00"):
        assert fillin.parse(text, labels) == {}
