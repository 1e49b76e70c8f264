"""業種 in a person's own words: a 損害保険会社, another industry, or neither (SPEC §3).

Only a non-life insurer may apply, and any other industry ends the application politely, so an
answer such as 「銀行」, 「日本生命」, 「通関業者」 or "a freight forwarder" must end it, while 「損保です」,
「東京海上日動火災保険」 or "non-life insurer" continues. Words are read by the shapes industries are
named with — 〜銀行 / 〜信用金庫, 〜生命, 〜業 / 〜業者, 〜航空 / 〜運輸 / 〜商事 and other kinds of
company, English industry nouns — so an industry nobody listed is still recognised. A non-life
word wins over the others (あいおいニッセイ同和損害保険), unless it is negated (損保ではありません) or
names someone who is not the insurer itself (損害保険代理店). Whatever says no industry at all
(a greeting, a bare company name, 「保険会社」) is None: the question is asked again.

Hand-written rules: no dictionary of Japanese industries exists on PyPI; every pattern below is
an alternation or a suffix test (no nested repetition), so a reading is linear in the text.
"""

from __future__ import annotations

import re

from bot.text import nfkc

NON_LIFE = "non_life"
OTHER = "other"
MAX_CHARS = 120  # longer answers are not an industry: asked again

_NON_LIFE = re.compile(
    r"損害保険|損保|火災保険|海上保険|火災海上|海上火災|海上日動|海上$|火災$|非生命|"
    r"non-?life|nonlife|p&c|property(and|&)(casualty|liability)|generalinsur|casualtyinsur|"
    r"fire(and|&)marine|marine(and|&)fire|marineinsur|fireinsur")
# Negated: "not non-life". 非 only before the word (非損保): 非生命 itself means non-life.
_NEGATED_JA = re.compile(r"(損害保険|損保)(会社)?(では|じゃ|で)(な|ありませ|ござい)|以外|非(損保|損害保険)")
_NEGATED_EN = re.compile(r"\b(not|isn'?t|aren'?t|neither|except)\b|other than")
# Somebody in the trade who is not the insurer: agents, brokers, adjusters, associations.
_NOT_THE_INSURER = re.compile(r"代理店|代理業|代理人|仲立|ブローカー|鑑定|協会|機構|"
                              r"agen(t|cy)|broker|adjust|association")
# Near the insurer, but not clearly the insurer: asked again rather than ended.
_AFFILIATED = re.compile(r"子会社|関連会社|関係会社|グループ会社|系列|ホールディングス|持株|(損保|損害保険)系|"
                         r"subsidiar|affiliate|holding")
_LIFE = re.compile(r"生命|生保|life(insur|assur|company)|mutuallife")
_INSURANCE = re.compile(r"保険|insur|assur")

_LEGAL_FORM = re.compile(r"株式会社|有限会社|合同会社|合資会社|合名会社|相互会社|\(株\)|\(有\)|㈱|㈲|"
                         r"\b(co|corp|inc|ltd|llc|plc|kk)\b")
# Words industries are named with, Japanese (anywhere in the answer: みずほ銀行, ABC航空) …
_INDUSTRY_JA = re.compile(
    r"銀行|バンク|信用金庫|信金|信用組合|信組|労働金庫|労金|農協|漁協|共済|金融|証券|信託|投信|"
    r"リース|クレジット|カード会社|ファンド|少額短期|少短|"
    r"通関|倉庫|物流|ロジスティクス|フォワーダ|フォワーディング|運送|運輸|輸送|陸運|海運|港運|空運|航空|"
    r"エアライン|船会社|船舶|汽船|海事|宅配|郵便|配送|"
    r"商社|商事|物産|貿易|通商|交易|輸入|輸出|卸売|小売|百貨店|商店|スーパー|"
    r"メーカー|製造|工業|製作所|工場|電機|電子|化学|製薬|薬品|食品|鉄鋼|自動車|建設|不動産|"
    r"官公庁|役所|税関|自治体|省庁|病院|大学|学校|ソフトウェア|通信|電力|ガス会社|鉄道|システム会社")
# … by its ending (通関業, 倉庫業者, 運送業界): any "…業" but insurance itself and words such as
# 営業 or 企業 that name no industry …
_TRADE = re.compile(r"(?<!保険)(?<![営作授卒修企])(業|業者|業界|事業者)$")
# … and in English.
_INDUSTRY_EN = re.compile(
    r"bank|credit(union|association|card)|shinkin|securities|stockbrok|invest|assetmanage|leasing|"
    r"customs|forward|freight|logistic|shipping|shipper|airline|airways|aircargo|aviation|"
    r"warehous|storage|trucking|haulage|transport|courier|postal|railway|"
    r"trading(company|house|firm)|trader|importer|exporter|wholesal|retail|"
    r"manufactur|factory|construction|realestate|pharma|chemical|automotive|automaker|"
    r"government|ministry|municipal|hospital|university|school|software|telecom")
_OTHER_JA = re.compile(r"その他|そのほか|他業種|他の業種|ほかの業種|^他$|^ほか$")
_OTHER_EN = re.compile(r"\b(others?|another)\b")
_SEPARATORS = re.compile(r"[\s・,、。.!！?？「」『』()（）\"'’”:：/\-‐]+")


def classify(text: str) -> str | None:
    """``non_life``, ``other``, or None when the answer names no industry."""
    raw = nfkc(text).casefold()
    if not raw or len(raw) > MAX_CHARS:
        return None
    compact = _SEPARATORS.sub("", _LEGAL_FORM.sub(" ", raw))
    if _NON_LIFE.search(compact):
        if _NEGATED_JA.search(compact) or _NEGATED_EN.search(raw) or _NOT_THE_INSURER.search(compact):
            return OTHER
        return None if _AFFILIATED.search(compact) else NON_LIFE
    if _LIFE.search(compact):
        return OTHER
    if _INSURANCE.search(compact):  # an insurer that does not say which kind: asked again
        return OTHER if _NOT_THE_INSURER.search(compact) or _INDUSTRY_JA.search(compact) else None
    if _INDUSTRY_JA.search(compact) or _TRADE.search(compact) or _INDUSTRY_EN.search(compact):
        return OTHER
    if _OTHER_JA.search(compact) or _OTHER_EN.search(raw):
        return OTHER
    return None
