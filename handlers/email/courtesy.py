"""What in a reply is courtesy or signature rather than the answer, by families of patterns.

Every pattern is matched against one line or one sentence, NFKC-normalised and stripped, and is
anchored at its start, so each test is linear in the line. Japanese and English:

- openings: お世話になっております / お疲れ様です / ご連絡ありがとうございます / 初めてご連絡いたします,
  addressee lines (…様, …御中), Hello / Dear … / Thank you for your email;
- introductions (weak: dropped only when something else is written): 株式会社○○の佐藤です,
  ○○と申します, This is … from …;
- closings: (引き続き|何卒|以上、|ご確認のほど…)よろしくお願いいたします, 以上です, 取り急ぎご連絡まで,
  Best regards, Thanks, Sincerely;
- phone signatures: iPhoneから送信, Sent from my Galaxy, Get Outlook for iOS, Outlook for iOS を入手;
- signature separators (``--``, ``---``, ``____``, ``━━━━``) and contact lines (TEL, FAX, 〒, E-mail, URL, 携帯).
"""

from __future__ import annotations

import re
import unicodedata

SHORT = 300  # longer lines are never an attribution, a header, a greeting or a signature line


def norm(line: str) -> str:
    return unicodedata.normalize("NFKC", line).strip()


# The end of a sentence: 。！？!? (full- or half-width), or a period before a space; each run is
# tried from its first character only, so a line of dots is read once.
_SENTENCE_END = re.compile(r"[。．！？!?]+\s*|(?<!\.)\.++(?=\s)\s*")


def sentences(line: str) -> list[str]:
    """The line cut after each sentence's end, pieces kept as written (joined they give the line)."""
    if len(line) > SHORT:
        return [line]
    pieces, pos = [], 0
    for end in _SENTENCE_END.finditer(line):
        pieces.append(line[pos:end.end()])
        pos = end.end()
    pieces.append(line[pos:])
    return [p for p in pieces if p]


_END = re.compile(r"[\s。．.、,，!！?？:：~〜ー♪]+$")


def _bare(sentence: str) -> str:
    """The sentence for matching: NFKC, without its closing punctuation."""
    return _END.sub("", norm(sentence))


_PREFIX = (r"((いつも|日頃|日ごろ|平素|平素より|平素は|大変|たいへん|本日も|今回も|先日は|先日も|毎々|毎度|誠に)"
           r"[、,\s]*){0,3}")
_OPENING = re.compile(
    "^(" + _PREFIX + r"(お|御)世話(になって(おり|い)ます|になっております|になります|様です|さまです|になりました)"
    "|" + _PREFIX + r"(お疲れ|おつかれ)(様|さま)(です|でございます)"
    "|" + _PREFIX + r"(早速の|早々の|迅速な|丁寧な|ご丁寧な)?"
    r"(ご連絡|ご返信|ご回答|ご案内|ご対応|メール|お問い?合わせ|ご返答|お知らせ)"
    r"(を)?(いただき|頂き|下さり|くださり)?(まして)?[、,]?(誠に|まことに|本当に|大変|どうも)?"
    r"(ありがとうございます|ありがとうございました|有難うございます|有り難うございます|感謝(いた|致)します)"
    r"|(初めて|はじめて)(ご連絡|メール|連絡)(を)?(いた|致|差し上げ|させていただき|させて頂き)(し)?ます"
    r"|突然の(ご連絡|メール)(にて)?[、,]?(失礼(いた|致)?します|失礼(いた|致)します|申し訳(ございません|ありません))"
    r"|(ご無沙汰|ごぶさた)(して|いたして)おります"
    r"|(下記|以下)の?(通り|とおり)[、,]?(ご)?(回答|返信|連絡|報告)(を)?(いた|致|申し上げ|させていただき|させて頂き)?(し)?ます"
    r"|please (find|see) (my|our) (answers?|reply|replies|response) (below|inline)"
    r"|(my|our) (answers?|reply|response) (is|are) (below|inline)"
    r"|(hi|hello|hey|dear|good (morning|afternoon|evening|day)|greetings),?"
    r"(\s+(?!(i|we|i'm|i'd|we're|we'd|my|our|please|can|could|would|here)\b)[\w.'&-]+){0,4}"
    r"|to whom it may concern"
    r"|(i )?hope (this (e-?mail|message) finds you well|you('re| are)( doing)? well)"
    r"|(thank you|thanks|many thanks) (very much |so much )?for (your|the) (quick |prompt |kind |fast )?"
    r"(e-?mail|message|reply|response|mail|answer|help|support|note)( earlier| yesterday)?"
    r")$",
    re.IGNORECASE,
)
_ADDRESSEE = re.compile(r"(様|さま|御中|殿|ご担当者様|ご担当者さま|各位)$")
_NAME = r"[\u3040-\u30ff\u4e00-\u9fff々A-Za-z]{1,8}(\s[\u3040-\u30ff\u4e00-\u9fff々A-Za-z]{1,8})?"
_ORG = r"(株式会社|会社|社|損保|保険|部|課|室|グループ|チーム|支店|支社|本店|本社|センター|事業所|局|係|[A-Za-z.])"
_INTRO = re.compile(
    r"^([^。、,]{0,30}" + _ORG + r"[^。、,の]{0,10}?の\s*" + _NAME + r"\s*(です|でございます|と申します)"
    r"|" + _NAME + r"\s*(と申します|でございます)"
    r"|(this is|my name is|it'?s) [\w .'-]{1,40}( (from|of|at|with|in) [\w .,&'()-]{1,60})?)$",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"^((以上[、,]?|引き続き|今後とも|今後共|何卒|なにとぞ|どうぞ|どうか|それでは[、,]?|では[、,]?|本件[、,]?|この件[、,]?"
    r"|お手数(です|をおかけ(いた|致)?します|をお掛け(いた|致)?します|ではございます)が[、,]?"
    r"|(大変)?(恐縮|恐れ入ります|申し訳ございません)(です)?が[、,]?"
    r"|ご(確認|査収|対応|検討|手配|回答|返信|連絡|協力)(の|を)?(ほど|程)?[、,]?|\s)*(よろしく|宜しく|よろしく)(お願い|おねがい)"
    r"(いた|致|申し上げ|し)?(し)?(ます|です)?"
    r"|以上(です|となります|でございます|になります|よろしくお願いします)?"
    r"|取り急ぎ(ご連絡|ご返信|ご回答|ご報告|お知らせ|返信|回答|連絡)(まで|いたします|致します|申し上げます)?"
    r"|(ご不明な?点|何か|不明点)(が|など|等)?(ございましたら|ありましたら|あれば)[、,]?.{0,30}"
    r"|((best|kind|warm|warmest|kindest|with (best|kind|warm))\s+)?regards\b.{0,40}"
    r"|(best|kind|warm) wishes\b.{0,40}"
    r"|(many |thanks a lot|thanks again|thanks in advance)?thanks( a lot| again| in advance| so much)?"
    r"|thank you( very much| so much| in advance| again| for your (help|time|support|assistance|cooperation))?"
    r"|(yours )?(sincerely|faithfully|truly)( yours)?\b.{0,40}"
    r"|cheers\b.{0,40}|best|all the best|respectfully|take care|with appreciation"
    r"|(i )?look(ing)? forward to (hearing from you|your (reply|response))( soon)?"
    r"|please (let me know|feel free to contact me|do not hesitate to contact me) if you (need|have) .{0,40}"
    r")$",
    re.IGNORECASE,
)
_PHONE = re.compile(
    r"^((sent|envoyé|enviado|gesendet|inviato|verzonden)\s+(from|with|via|using|by|von|de|da|desde|met|vanaf)\s+\S.{0,70}"
    r"|get\s+(outlook|the\s+\S+\s+app)\s+for\s+\S.{0,30}"
    r"|.{0,30}outlook.{0,30}(を入手|の入手|を取得)"
    r"|\S.{0,40}?\s*から送信(しました|されました)?[。.]?)$",
    re.IGNORECASE,
)
_SHORT_SEPARATOR = re.compile(r"^(-{2,3}|_{2,3})\s*$")  # "--", "-- ", "---", "__"
_SEPARATOR = re.compile(r"^[-―ー━─=_*~〜・+#]{4,}$")
_CONTACT = re.compile(
    r"^(〒\s*\d{3}\s*-?\s*\d{4}"
    r"|(tel|phone|ph|fax|facsimile|mobile|mob|cell|携帯|携帯電話|電話|直通|内線|代表|e-?mail|mail|url|web|hp|ホームページ)"
    r"(\s*[:.)\]]\s*|\s+)([\d(+<]|https?://|www\.|[\w.+-]+@)"
    r"|[\w.+-]+@[\w-]+(\.[\w-]+)+$|https?://\S+$)",
    re.IGNORECASE,
)
# A sentence in a signature that is not a person's answer: the company's legal notice.
_DISCLAIMER = re.compile(r"機密|秘密|誤って|誤送信|削除|破棄|本メール|このメール|confidential|intended (only )?for|"
                         r"intended recipient|this (e-?mail|message)|disclaimer", re.IGNORECASE)


def is_opening(sentence: str) -> bool:
    """A greeting or an addressee: courtesy that opens a mail and answers nothing."""
    bare = _bare(sentence)
    if not bare or len(bare) > SHORT:
        return False
    return bool(_OPENING.match(bare) or (len(bare) <= 40 and _ADDRESSEE.search(bare)))


def is_intro(sentence: str) -> bool:
    """A self-introduction (株式会社○○の佐藤です): dropped only when an answer follows it."""
    bare = _bare(sentence)
    return 0 < len(bare) <= 60 and bool(_INTRO.match(bare))


def is_closing(sentence: str) -> bool:
    bare = _bare(sentence)
    return 0 < len(bare) <= 80 and bool(_CLOSING.match(bare))


def is_phone_signature(line: str) -> bool:
    text = norm(line)
    return 0 < len(text) <= 100 and bool(_PHONE.match(text))


def is_separator(line: str) -> bool:
    """``--``, ``-- `` or ``---``: a signature follows, even with nothing above."""
    return bool(_SHORT_SEPARATOR.match(norm(line)))


def is_rule(line: str) -> bool:
    """A line drawn with ``━━━━``, ``====``, ``____``: a signature follows when an answer is above."""
    text = norm(line)
    return len(text) <= SHORT and bool(_SEPARATOR.match(text))


def is_contact(line: str) -> bool:
    text = norm(line)
    return 0 < len(text) <= 120 and bool(_CONTACT.match(text))


_ITEM = re.compile(r"^([・\-*•●○■□◆◇※→]|\(?\d{1,2}[.)]|[①-⑳])")  # an item of a list, not a name


def is_name_like(line: str) -> bool:
    """A short line without a sentence or a ``label:`` in it: a name, a company, an address."""
    text = norm(line)
    return 0 < len(text) <= 60 and not re.search(r"[。!?:]", text) and not _ITEM.match(text)


def is_sentence(line: str) -> bool:
    """A line a person writes to say something: ends like a sentence, or is long; not a legal notice."""
    text = norm(line)
    if not text or len(text) > SHORT:
        return bool(text)
    if _DISCLAIMER.search(text):
        return False
    return len(text) >= 40 or bool(re.search(r"[。.!?]$", text) and len(text) >= 8)
