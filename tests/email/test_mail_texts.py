"""Every mail a person gets, as a Japanese office would send it (issues 12.8 and 14).

One whole set of mails is made by running the core on a fixed clock and composing each email
message it queues: a question mail for every field (with mistakes, help, edits and the status
on the way), the summary, every notice kind (受付完了, 確認完了, ID通知, 差戻し, 却下, 取下げ,
a requested document) and every reminder (idle, closed, certificate, start).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from bot import fields as F
from bot.config import BUNDLED_SCHEDULE
from bot.service import Person, Service
from handlers.bootstrap import load_schedule
from handlers.email.addresses import Addresses
from handlers.email.compose import Composer
from handlers.links import LinkSigner
from handlers.render import Renderer
from handlers.wrapping import MAIL_WIDTH, display_width
from tests.conftest import WITH_USER_CODE, WITHOUT_USER_CODE
from tests.fakes import MemoryStore, PlainVault, clock_at

TARO, HANAKO = "taro@example.co.jp", "hanako@example.co.jp"
# Long texts a reviewer types, with a date and a URL in them, so that lines must be broken.
LONG_REASON = ("変更する理由の記載が具体的ではないため、端末を追加する目的と設置場所を、"
               "2026年12月16日（水）までにご記入のうえ改めてご登録ください。"
               "詳細は https://www.naccs.jp/ をご覧ください。")
LONG_COMMENT = ("利用開始日は、ご希望日の翌回のシステム登録日となります。"
                "端末の準備と、デジタル証明書の取得をお願いします。")
MISTAKES = ["ヘルプ", "状況", "戻る", "銀行", "x", "y", "z"]


class Mails:
    """The core on a fixed clock, and every email message it queued, composed."""

    def __init__(self) -> None:
        self.clock = clock_at("2026-11-26T10:00")
        self.store = MemoryStore()
        self.service = Service(store=self.store, clock=self.clock, schedule=load_schedule(BUNDLED_SCHEDULE),
                               vault=PlainVault())
        self.composer = Composer(Renderer(), Addresses("webnaccs@bot.example.jp", b"secret"),
                                 LinkSigner(b"secret", "https://bot.example.jp"))
        self.done: set[tuple[str, str]] = set()
        self.mails: list[EmailMessage] = []

    def person(self, n: int) -> Person:
        address = TARO if n == 0 else f"taro{n}@example.co.jp"
        return Person(key=f"email:{address}", channel="email", address=address,
                      prefill={"applicant_email": address})

    def say(self, who: Person, *texts: str) -> None:
        for text in texts:  # each mail composed as it goes out: with the fill-in block of that moment
            self.service.handle(who, text)
            self.collect()

    def apply(self, who: Person, answers: list[str]) -> str:
        if self.service.open_draft(who) is None:
            self.service.start(who)
        email = who.address or TARO
        self.say(who, *[email if a == TARO else a for a in answers], "登録")
        [app] = [a for a in map(self.service.load, self.store.all_ids())
                 if a and a.answers.get("applicant_email") == email and a.acceptance_number]
        return str(app.acceptance_number)

    def collect(self) -> None:
        for app_id in list(self.store.all_ids()):
            app = self.service.load(app_id)
            for message in self.store.outbox(app_id):
                if message.get("channel") != "email" or (app_id, message["id"]) in self.done:
                    continue
                self.done.add((app_id, message["id"]))
                mail = self.composer.compose({**message, "app_id": app_id}, app, self.clock.now())
                self.mails.append(message_from_bytes(mail.as_bytes(), policy=policy.default))

    def later(self, when: str) -> None:
        self.clock.current = clock_at(when).now()
        self.service.run_reminders()
        self.collect()


def make_every_mail() -> list[EmailMessage]:
    m = Mails()
    # 1. With a new user code, mistakes, help and an edit on the way; returned, refiled, approved.
    taro = m.person(0)
    m.service.start(taro)
    m.say(taro, *MISTAKES, *WITH_USER_CODE[:7], "例", *WITH_USER_CODE[7:], "修正", "電話", "そのまま",
          "修正 変更する理由", "本店の通関業務部門でWebNACCSを利用するため、端末2台を追加します。", "登録")
    number = next(a.acceptance_number for a in map(m.service.load, m.store.all_ids()) if a and a.acceptance_number)
    m.service.decide(number, decision="return", actor="cli:test", reason=LONG_REASON)
    m.collect()
    m.say(taro, "状況", "修正 変更する理由", "事業所の移転に伴い、WebNACCSで使用するパソコンを2台追加します。", "登録")
    m.service.decide(number, decision="approve", actor="cli:test", start_date="2027-01-18", comment=LONG_COMMENT)
    m.collect()
    m.say(taro, "申込書", "承認通知", "状況")
    # 2. Rejected.  3. Withdrawn.
    m.service.decide(m.apply(m.person(2), WITHOUT_USER_CODE), decision="reject", actor="cli:test",
                     reason=LONG_REASON)
    m.collect()
    withdrawing = m.person(3)
    m.apply(withdrawing, WITHOUT_USER_CODE)
    m.say(withdrawing, "取下げ", "はい")
    # 4. In English, approved on the date asked for.
    english = m.person(5)
    m.service.start(english)
    m.say(english, "English")
    number = m.apply(english, WITHOUT_USER_CODE)
    m.service.decide(number, decision="approve", actor="cli:test", start_date="2027-01-04", comment=LONG_COMMENT)
    m.collect()
    # The reminders of the first: the certificates, the start date.
    m.later("2027-01-13T09:00")
    m.later("2027-01-18T08:30")
    m.say(taro, "承認通知")
    # 5. Idle, then closed.
    idle = m.person(4)
    m.clock.current = clock_at("2027-01-20T10:00").now()
    m.service.start(idle)
    m.say(idle, "損害保険会社", "ABC損害保険株式会社")
    m.later("2027-01-21T10:30")
    m.clock.current += timedelta(days=14)
    m.service.run_reminders()
    m.collect()
    return m.mails


@pytest.fixture(scope="module")
def every_mail() -> list[EmailMessage]:
    return make_every_mail()


def text(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def lines(mails: list[EmailMessage]) -> Iterator[tuple[str, str]]:
    for mail in mails:
        for line in text(mail).split("\n"):
            yield str(mail["Subject"]), line


def test_the_set_holds_every_kind_of_mail(every_mail):
    asked = {str(m["X-WebNACCS-Field"]) for m in every_mail if m["X-WebNACCS-Field"]}
    assert {f.key for f in F.FIELDS} - asked == set()  # a question mail for every field
    notices = {str(m["X-WebNACCS-Notice"]) for m in every_mail if m["X-WebNACCS-Notice"]}
    assert notices == {"acknowledgment", "confirmation", "id_notification", "returned", "rejected",
                       "withdrawn", "document", "reminder"}
    subjects = " ".join(str(m["Subject"]) for m in every_mail)
    for reminder in ("入力途中の申込があります", "入力途中の申込を終了しました", "デジタル証明書の取得のお願い",
                     "本日から利用開始です"):
        assert reminder in subjects


def test_no_line_is_wider_than_a_japanese_business_mail(every_mail):
    assert 70 <= MAIL_WIDTH <= 76  # 35 to 38 full-width characters
    too_wide = [(subject, line) for subject, line in lines(every_mail)
                if display_width(line) > MAIL_WIDTH and not line.strip().startswith("https://")]
    assert too_wide == []


def test_no_line_is_broken_inside_a_date_a_number_an_address_or_a_url(every_mail):
    whole = ["2026年12月16日（水）", "https://www.naccs.jp/", "taro@example.co.jp", "2027年1月18日（月）",
             "本店の通関業務部門でWebNACCSを利用するため、端末2台を追加します。"]
    texts = [text(m) for m in every_mail]
    for piece in whole:
        assert any(piece in t for t in texts), piece
    for subject, line in lines(every_mail):
        assert not line.rstrip().endswith(("2026年", "（", "「", "https:")), (subject, line)
        assert not line.lstrip("　 ").startswith(("、", "。", "）", "」", "日（")), (subject, line)
    notices = [m for m in every_mail if m["X-WebNACCS-Notice"] and m["X-WebNACCS-Acceptance-Number"]]
    assert notices and all(str(m["X-WebNACCS-Acceptance-Number"]) in text(m) for m in notices)


def test_only_mails_that_ask_invite_a_reply(every_mail):
    words = {"ja": ("##- この行より上にご返信ください", "「戻る」「修正」", "「修正 項目名」"),
             "en": ("##- Please type your reply above this line", "“back”, “edit”", "“edit <item>”")}
    assert {str(m["Content-Language"]) for m in every_mail} == {"ja", "en"}
    for mail in every_mail:
        kind, body = mail["X-WebNACCS-Notice"], text(mail)
        marker, commands, edit = words[str(mail["Content-Language"])]
        if kind is None:  # the conversation: every question mail invites the answer
            assert body.startswith(marker) and commands in body, mail["Subject"]
        elif kind == "returned" and str(mail["To"]) != HANAKO:  # 差戻し: the applicant corrects it
            assert body.startswith(marker) and edit in body and commands not in body
        else:
            assert marker not in body and commands not in body, (kind, mail["Subject"])
        assert mail["Reply-To"] is not None  # a reply still reaches the bot


def test_people_are_addressed_as_the_naccs_mails_do(every_mail):
    ack = [m for m in every_mail if m["X-WebNACCS-Notice"] == "acknowledgment"]
    to_taro = next(text(m) for m in ack if str(m["To"]) == TARO)
    to_hanako = next(text(m) for m in ack if str(m["To"]) == HANAKO)
    assert to_taro.startswith("ABC損害保険株式会社 本店 業務部\n山田 太郎 様\n")
    assert to_hanako.startswith("ABC損害保険株式会社 本店\n鈴木 花子 様\n")
    idle = next(text(m) for m in every_mail if "入力途中の申込があります" in str(m["Subject"]))
    assert idle.startswith("ABC損害保険株式会社\nご担当者様\n")  # no name given yet
    assert "2027年2月2日（火）までにご回答がない場合" in idle  # closed 14 days after the last answer


def test_bad_news_and_the_confirmation_say_what_the_seed_says(every_mail):
    def of(kind: str, to: str) -> str:
        return next(text(m) for m in every_mail if m["X-WebNACCS-Notice"] == kind and str(m["To"]) == to)

    rejected = "".join(of("rejected", "taro2@example.co.jp").split("\n"))
    assert "審査の結果、誠に残念ながら承認されませんでした。" in rejected and "恐れ入りますが" not in rejected
    # The administrator's address was typed by the applicant: the form stays with the applicant (15.8).
    for to, form, separately in ((TARO, "申込書のご郵送は不要です。社内管理用として保管してください。",
                                  "ID通知内容（デジタル証明書の取得に必要な認証コードなど）は、別途お送りします。"),
                                 (HANAKO, "申込書（PDF）は、申込担当者の方にお送りしました。",
                                  "申込担当者の方にのみお送りします。")):
        confirmation = "".join(of("confirmation", to).split("\n"))
        assert form in confirmation
        assert separately in confirmation
    returned = "".join(of("returned", TARO).split("\n"))
    assert "差し戻しました" in returned and "差戻しし" not in returned
