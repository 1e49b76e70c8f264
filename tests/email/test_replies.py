"""Replies cut to the answer alone, in every mail program, around courtesy and signatures.

Each reply is a real MIME mail to a real question mail (composed by the bot), read by
``reading.read`` and cut by ``quotes.answer_text`` as the mail channel does. Families: courtesy
before the answer (お世話になっております, self-introductions, Dear …), closings after it
(よろしくお願いいたします, Best regards), signatures without a separator line (TEL/FAX/〒 blocks, a
short ``---``), answers written below or inside the quote with only courtesy above, and replies
top-posted from a phone (iPhoneから送信, Sent from my Galaxy). Answers of several lines keep them.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from email.mime.text import MIMEText

import pytest

from handlers.email.compose import markers
from handlers.email.quotes import answer_text
from handlers.email.reading import read
from handlers.render import Renderer
from tests.email.conftest import TARO
from tests.email.mailer import gmail_reply, outlook_reply, parse, text_of, thunderbird_reply
from tests.email.test_compose import COMPOSER, NOW, app, question, reply_message

MARKERS = markers(Renderer())
ORIGINAL = parse(COMPOSER.compose(reply_message(question()), app(), NOW).as_bytes())
BOT_NAME = email.utils.parseaddr(str(ORIGINAL["From"]))[0]
REPLY_TO = str(ORIGINAL["Reply-To"])


def quoted() -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text_of(ORIGINAL).split("\n"))


def plain(body: str, charset: str = "utf-8") -> bytes:
    """A plain-text reply as phones and simple programs send it, the body exactly as given."""
    msg = MIMEText(body, "plain", charset)
    msg["From"] = TARO
    msg["To"] = REPLY_TO
    msg["Subject"] = "Re: " + str(ORIGINAL["Subject"])
    msg["Message-ID"] = "<r1@example.co.jp>"
    msg["In-Reply-To"] = str(ORIGINAL["Message-ID"])
    return msg.as_bytes()


def answer_of(raw: bytes) -> str:
    mail = read(raw, envelope_sender=TARO)
    assert mail.automatic is None and mail.limited is None
    return answer_text(mail.text, MARKERS)


def _jis_if_possible(text: str) -> str:
    """Outlook writes ISO-2022-JP, or UTF-8 when the text has characters it lacks (－, ～)."""
    try:
        (text + text_of(ORIGINAL)).encode("iso2022_jp")
    except UnicodeEncodeError:
        return "utf-8"
    return "iso-2022-jp"


CLIENTS: dict[str, Callable[[str], bytes]] = {
    "outlook": lambda text: outlook_reply(ORIGINAL, text, sender=TARO, charset=_jis_if_possible(text)),
    "gmail": lambda text: gmail_reply(ORIGINAL, text, sender=TARO),
    "gmail_html": lambda text: gmail_reply(ORIGINAL, text, sender=TARO, html_only=True),
    "thunderbird_top": lambda text: thunderbird_reply(ORIGINAL, text, sender=TARO, top=True),
    "thunderbird_below": lambda text: thunderbird_reply(ORIGINAL, text, sender=TARO),
}

OPENINGS_JA = [
    "お世話になっております。",
    "いつもお世話になっております。",
    "大変お世話になっております。",
    "平素より大変お世話になっております。",
    "お世話になります。",
    "お疲れ様です。",
    "おつかれさまです。",
    "ご連絡ありがとうございます。",
    "早速のご返信ありがとうございます。",
    "初めてご連絡いたします。",
    "WebNACCS申込アシスタント様\n\nお世話になっております。",
    "WebNACCSご担当者様",
    "株式会社テストの佐藤です。",
    "いつもお世話になっております。○○部の山田です。",
    "お世話になっております。\nABC損害保険株式会社 営業部の山田でございます。",
    "お世話になっております。山田と申します。",
]
OPENINGS_EN = [
    "Hello,",
    "Hi team,",
    "Dear WebNACCS team,",
    "Dear Sir or Madam,",
    "Good morning,",
    "To whom it may concern,",
    "Thank you for your email.",
    "Hello,\nThis is Taro Yamada from ABC Insurance.",
    "Hi,\n\nI hope this email finds you well.",
]


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("opening", OPENINGS_JA)
def test_courtesy_before_the_answer_is_not_the_answer(client, opening):
    assert answer_of(CLIENTS[client](f"{opening}\n\nABC損保\n")) == "ABC損保"


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("opening", OPENINGS_EN)
def test_courtesy_before_an_english_answer_is_not_the_answer(client, opening):
    assert answer_of(CLIENTS[client](f"{opening}\n\nABC Insurance\n")) == "ABC Insurance"


CLOSINGS_JA = [
    "引き続きよろしくお願いいたします。",
    "以上、よろしくお願いします。",
    "よろしくお願い致します。",
    "宜しくお願いします。",
    "何卒よろしくお願い申し上げます。",
    "ご確認のほど、よろしくお願いいたします。",
    "お手数ですが、よろしくお願いいたします。",
    "今後ともよろしくお願いいたします。",
    "以上です。",
    "取り急ぎご連絡まで。",
]
CLOSINGS_EN = ["Best regards,", "Kind regards,", "Regards,", "Thanks,", "Thank you!", "Many thanks,",
               "Sincerely,", "Yours sincerely,", "Cheers,", "Looking forward to hearing from you."]


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("closing", CLOSINGS_JA)
def test_a_closing_and_the_name_after_it_are_not_the_answer(client, closing):
    assert answer_of(CLIENTS[client](f"お世話になっております。\n\nABC損保\n\n{closing}\n山田\n")) == "ABC損保"


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("closing", CLOSINGS_EN)
def test_an_english_closing_and_the_name_after_it_are_not_the_answer(client, closing):
    assert answer_of(CLIENTS[client](f"Hello,\n\nABC Insurance\n\n{closing}\nTaro Yamada\n")) == "ABC Insurance"


@pytest.mark.parametrize(("text", "answer"), [
    ("ABC損保です。よろしくお願いします。", "ABC損保です。"),
    ("お世話になっております。ABC損保です。以上、よろしくお願いいたします。", "ABC損保です。"),
    ("Hello. We are ABC Insurance. Thank you.", "We are ABC Insurance."),
])
def test_courtesy_on_the_answers_own_line_is_cut_off(text, answer):
    assert answer_of(CLIENTS["gmail"](text)) == answer


SIGNATURES = [
    "山田 太郎\nABC損害保険株式会社 営業部\nTEL: 03-1234-5678\nFAX: 03-1234-5679",
    "ABC損害保険株式会社\n〒100-0005 東京都千代田区丸の内1-1-1\nTEL 03-1234-5678",
    "山田\n携帯：090-1234-5678\nE-mail：taro@example.co.jp",
    "山田 太郎\nABC損害保険株式会社\n\n〒100-0005 東京都千代田区丸の内1-1-1\nTEL.03-1234-5678 / FAX.03-1234-5679",
    "ＡＢＣ損害保険株式会社　営業部\n山田　太郎\nＴＥＬ：０３－１２３４－５６７８",
    "Taro Yamada\nABC Insurance Co., Ltd.\nPhone: +81-3-1234-5678\nEmail: taro@example.co.jp\n"
    "URL: https://www.example.co.jp/",
    "Taro Yamada | ABC Insurance\nMobile +81 90 1234 5678\ntaro@example.co.jp",
    "---\n山田",
    "--\nTaro",
    "-- \n山田 太郎\nABC損保",
    "－－\n山田",
    "━━━━━━━━━━━━━━\nABC損害保険株式会社\n山田 太郎\n━━━━━━━━━━━━━━",
]


@pytest.mark.parametrize("client", [c for c in CLIENTS if c != "thunderbird_below"])
@pytest.mark.parametrize("signature", SIGNATURES)
def test_a_signature_without_a_separator_line_is_not_the_answer(client, signature):
    assert answer_of(CLIENTS[client](f"ABC損保\n\n{signature}\n")) == "ABC損保"


def gmail_attribution() -> str:
    return f"2026年11月26日(木) 10:00 {BOT_NAME} <\n{REPLY_TO}>:"


def thunderbird_attribution() -> str:
    return f"On 2026/11/26 10:00, {BOT_NAME} wrote:"


def inline(answer: str) -> str:
    """The quote with ``answer`` written right under the quoted question."""
    lines = quoted().split("\n")
    at = next(i for i, line in enumerate(lines) if "【" in line) + 1
    return "\n".join([*lines[:at], answer, *lines[at:]])


@pytest.mark.parametrize("body", [
    "お世話になっております。\n\n{gmail}\n\n{quoted}\n\nABC損保\n\nよろしくお願いします。\n山田\n",
    "いつもお世話になっております。\n株式会社テストの佐藤です。\n\n{thunderbird}\n{quoted}\n\nABC損保\n\n-- \n佐藤\n",
    "株式会社テストの佐藤です。\n\n{thunderbird}\n{quoted}\n\nABC損保\n",
    "お疲れ様です。\n\n{gmail}\n\n{inline}\n",
    "WebNACCS申込アシスタント様\n\nお世話になっております。\n下記の通り回答いたします。\n\n{thunderbird}\n{inline}\n\n"
    "以上、よろしくお願いいたします。\n",
    "Hello,\n\n{thunderbird}\n{quoted}\n\nABC損保\n\nBest regards,\nTaro\n",
    "Dear team,\nPlease find my answer below.\n\n{gmail}\n\n{inline}\n\nThanks,\nTaro\n",
])
def test_an_answer_below_or_inside_the_quote_under_courtesy_is_found(body):
    text = body.format(gmail=gmail_attribution(), thunderbird=thunderbird_attribution(), quoted=quoted(),
                       inline=inline("ABC損保"))
    assert answer_of(plain(text)) == "ABC損保"


PHONES_JA = ["iPhoneから送信", "Android から送信", "Galaxy から送信", "Xperiaから送信",
             "Yahoo!メール for iPhoneから送信", "Outlook for iOS を入手", "iOS 版 Outlook を入手"]
PHONES_EN = ["Sent from my iPhone", "Sent from my Galaxy", "Sent from my Android phone", "Sent from my iPad",
             "Sent from Yahoo Mail for iPhone", "Sent from Outlook for Android", "Get Outlook for iOS",
             "Get Outlook for Android", "Sent with Proton Mail secure email."]


@pytest.mark.parametrize("phone", PHONES_JA + PHONES_EN)
@pytest.mark.parametrize("answer", ["ABC損保", "ABC Insurance"])
def test_a_reply_top_posted_from_a_phone_is_the_answer_alone(phone, answer):
    iphone_ja = f"2026/11/26 10:00、{BOT_NAME} <{REPLY_TO}>のメール:"
    iphone_en = f"On Nov 26, 2026, at 10:00, {BOT_NAME} <{REPLY_TO}> wrote:"
    for attribution in (iphone_ja, iphone_en, gmail_attribution()):
        assert answer_of(plain(f"{answer}\n\n{phone}\n\n{attribution}\n\n{quoted()}\n")) == answer
    assert answer_of(CLIENTS["outlook"](f"{answer}\n\n{phone}")) == answer


LONG_ANSWERS = [
    "新しい支店を開設するため、\n端末を2台追加します。\n利用開始は12月を予定しています。",
    "前任者に大変お世話になったため、同じ構成で申し込みます。\n端末は2台です。",
    "理由は次の2点です。\n\n・新支店の開設\n・端末の増設",
    "企業名: ABC損保\n事業所名: 本店\n申込担当者 電話番号: 03-1234-5678",
    "We are opening a new branch.\nWe need two more terminals.\nThe branch opens in December.",
    "Thank you for the quick setup last year. We now need two more PCs.",
]


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("answer", LONG_ANSWERS)
def test_an_answer_of_several_lines_keeps_every_line(client, answer):
    body = f"お世話になっております。\n\n{answer}\n\nよろしくお願いいたします。\n\n山田 太郎\nTEL 03-1234-5678\n"
    assert answer_of(CLIENTS[client](body)) == answer


def test_a_closing_between_sentences_of_an_answer_leaves_the_sentences():
    body = "端末を2台追加します。\nよろしくお願いします。\n利用開始は12月を予定しています。\n\n山田\n"
    assert answer_of(CLIENTS["gmail"](body)) == "端末を2台追加します。\n利用開始は12月を予定しています。"


@pytest.mark.parametrize(("body", "answer"), [
    ("株式会社テストの本店です。", "株式会社テストの本店です。"),  # an introduction alone may be the answer
    ("お世話になっております。\n株式会社テストの本店です。\n\nよろしくお願いします。", "株式会社テストの本店です。"),
    ("お世話になっております。\n\n03-1234-5678\n\nよろしくお願いします。\n山田\nTEL 03-9999-0000", "03-1234-5678"),
    ("お世話になっております。\n\ntaro@example.co.jp\n\n山田\nE-mail: yamada@example.co.jp", "taro@example.co.jp"),
    ("TEL 03-1234-5678", "TEL 03-1234-5678"),
    ("山田 太郎", "山田 太郎"),
    ("Hello, I would like to apply.", "Hello, I would like to apply."),
    ("本店\n\n新宿支店\nよろしくお願いします。", "本店\n\n新宿支店"),
])
def test_what_looks_like_courtesy_or_a_signature_but_is_the_answer_stays(body, answer):
    for client in ("outlook", "gmail", "thunderbird_top"):
        assert answer_of(CLIENTS[client](body)) == answer


def test_a_reply_of_courtesy_alone_has_no_answer():
    assert answer_of(CLIENTS["gmail"]("お世話になっております。\n\nよろしくお願いいたします。\n山田")) == ""
