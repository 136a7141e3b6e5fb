"""One vocabulary: every word the kiosk shows or writes about a verdict, in Chinese and English.

The header words of the ledger and the reports (columns, the day's figures) are the vocabulary's too,
in ``kiosk.domain.vocabulary_headers``, kept apart for length.

Reasons leave the core as a code with parameters (``Reason.code``,
``Reason.params``); this table is the only place that turns them into words,
for the window, the flagged list, the CSV/XLSX/PDF exports and the CLI. A
stored entry keeps the code and parameters, so an export made in English
years later still says the same thing as the guard's Chinese screen did.

Each reason code also has a *severity* that the banner and the tests rely on:

- ``deny``: a hard failure; the decision is 禁止通行.
- ``ask``: the kiosk needs the guard (a code to confirm, a retake, an identity
  to check); the decision is 待核验 / 请复测 until it is resolved.
- ``note``: recorded and perhaps flagged, but it does not stop a pass (a
  soft rule, an identity the guard confirmed, an override).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LANGUAGES = ("zh", "en")

ELEMENT_WORDS: dict[str, tuple[str, str]] = {
    "health": ("健康码", "health code"),
    "itinerary": ("行程卡", "itinerary card"),
    "vaccine": ("疫苗接种记录", "vaccination record"),
    "card": ("学生卡/工作证", "roster card"),
    "temperature": ("体温", "temperature"),
    "mask": ("口罩", "mask"),
    "registration": ("登记信息", "registration"),
    "nucleic_acid": ("核酸检测", "nucleic-acid test"),
}

KIND_WORDS: dict[str, tuple[str, str]] = {
    "student": ("学生", "student"),
    "staff": ("教职工", "staff"),
    "visitor": ("访客", "visitor"),
    "courier": ("快递员", "courier"),
    "delivery": ("送货人员", "goods delivery"),
    "garbage": ("垃圾清运人员", "garbage transport"),
    "other_worker": ("其他临时人员", "other temporary worker"),
}

# On the guard's person-kind buttons (a row of eight at 1280 px): the same people, English shortened.
KIND_BUTTON_WORDS: dict[str, tuple[str, str]] = {
    **KIND_WORDS,
    "delivery": ("送货人员", "delivery"),
    "garbage": ("垃圾清运人员", "garbage"),
    "other_worker": ("其他临时人员", "other"),
}

LANE_WORDS: dict[str, tuple[str, str]] = {
    "campus": ("师生通道", "campus lane"),
    "worker": ("临时人员专用通道", "temporary-worker lane"),
}

DECISION_WORDS: dict[str, tuple[str, str]] = {
    "PASS": ("通行", "Pass"),
    "DENY": ("禁止通行", "Denied"),
    "INCOMPLETE": ("待核验", "Check needed"),
    "HANDOFF": ("交接未入校", "Hand-off, no entry"),
}

COLOUR_WORDS: dict[str, tuple[str, str]] = {
    "green": ("绿码", "green"),
    "yellow": ("黄码", "yellow"),
    "red": ("红码", "red"),
    "orange": ("橙色", "orange"),
    "unknown": ("无法识别", "unreadable"),
    "invalid": ("无效", "invalid"),
}

REGISTRATION_FIELD_WORDS: dict[str, tuple[str, str]] = {
    "name": ("姓名", "name"),
    "phone": ("电话", "phone"),
    "id_number": ("身份证号", "ID number"),
    "company": ("单位", "company"),
    "purpose": ("事由", "purpose"),
    "plate": ("车牌", "plate"),
    "visiting": ("拜访", "visiting"),
    "from_area": ("来自", "coming from"),
}

# Who or what established a piece of evidence (the export's 验码方式, the guard's refusals).
SOURCE_WORDS: dict[str, tuple[str, str]] = {
    "device": ("设备", "device"),
    "manual": ("人工", "guard"),
    "signature": ("签名验证", "signature"),
    "server": ("验码服务", "issuer server"),
    "color": ("颜色识别", "colour reading"),
    "roster": ("名册", "roster"),
}

# A flagged entry's follow-up (the window's list, the exports, the PDF); the states are
# kiosk.domain.follow_up's, and a test holds the two together.
FOLLOW_UP_WORDS: dict[str, tuple[str, str]] = {
    "open": ("待处理", "Open"),
    "retake_due": ("待复测", "Retake due"),
    "observation": ("已送观察点", "Sent to observation"),
    "cleared": ("已解除", "Cleared"),
}

# An element's outcome as the ledger's cells say it (itinerary, vaccine, nucleic acid).
OUTCOME_WORDS: dict[str, tuple[str, str]] = {
    "ok": ("正常", "ok"),
    "fail": ("异常", "failed"),
    "retake": ("待复测", "retake due"),
    "unknown": ("待确认", "to be confirmed"),
}

# A nucleic-acid result as the ledger says it (other values are outcomes: OUTCOME_WORDS).
NUCLEIC_WORDS: dict[str, tuple[str, str]] = {
    "negative": ("阴性", "negative"),
    "positive": ("阳性", "positive"),
}

# A device whose downtime the reports list (the device events' names).
DEVICE_WORDS: dict[str, tuple[str, str]] = {
    "camera": ("摄像头", "camera"),
    "thermometer": ("测温仪", "thermometer"),
    "database": ("数据库", "database"),
}

# Where an entry came from: a demo or simulation export says so on every row.
ORIGIN_WORDS: dict[str, tuple[str, str]] = {
    "live": ("门岗", "live"),
    "demo": ("演示数据", "demo"),
    "simulation": ("模拟数据", "simulation"),
}

# The temperature histogram's bands (kiosk.domain.fever.TEMPERATURE_BANDS).
TEMPERATURE_BAND_WORDS: dict[str, tuple[str, str]] = {
    "normal": ("正常", "normal"),
    "retake": ("待复测", "retake due"),
    "fever": ("发热", "fever"),
}

# Where a finding of the district's ledger (清单式销号) came from.
FINDING_SOURCE_WORDS: dict[str, tuple[str, str]] = {
    "self_inspection": ("自查", "self-inspection"),
    "supervision": ("督导", "supervision"),
}

CODE_ERROR_WORDS: dict[str, tuple[str, str]] = {
    "malformed": ("格式损坏", "malformed"),
    "unknown_issuer": ("签发机构未受信任", "unknown issuer"),
    "bad_signature": ("签名无效，二维码被篡改或伪造", "bad signature: tampered or forged"),
    "not_yet_valid": ("签发时间在未来", "issued in the future"),
    "expired": ("已过期", "expired"),
    "not_signed": ("不是签名码", "not a signed code"),
}

# A failed export as the window says it, in one line; the exception's detail goes to the log file.
EXPORT_FAILURE_WORDS: dict[str, tuple[str, str]] = {
    "database": ("读取入校记录库失败（可能正被占用），请稍后重试；详情已写入日志",
                 "The entry log could not be read (it may be busy); try again later. Details are in the log file"),
    "audit": ("写入审计记录失败（数据库被占用），未留下导出文件；请稍后重试",
              "The audit record could not be written (the database is busy); no file was left. Try again later"),
    "cancelled": ("导出已取消，未写入文件", "Export cancelled; no file was written"),
    "unexpected": ("导出时出现意外错误，详情已写入日志", "The export failed unexpectedly; details are in the log file"),
    "write": ("无法写入该文件：%1；请换一个文件夹（如 U 盘或“文档”）", "Cannot write %1; choose another folder "
              "(a USB stick or Documents)"),
    "range": ("结束日期早于起始日期", "The end date is before the start date"),
    "process": ("导出进程意外结束（%1），未写入文件；请重试，详情已写入日志",
                "The export process ended unexpectedly (%1); no file was written. Try again; details are in the log"),
}

# The status bar's sync and school words: short, because eight lights share 1280 px; the detail
# (the centre's own message) goes in the tooltip.
SYNC_WORDS: dict[str, tuple[str, str]] = {
    "synced": ("已全部同步", "All synced"),
    "nothing": ("无待同步记录", "Nothing to send"),
    "pending": ("待同步 {n} 条", "{n} to send"),
    "oldest": ("，最早 {age}", ", oldest {age}"),
    "waiting": ("中心暂不可达，待同步 {n} 条", "Centre away, {n} to send"),
    "refused": ("中心拒收，请联系管理员", "Refused by the centre: call the admin"),
    "local_busy": ("本机数据库被占用，待同步 {n} 条", "Local log locked, {n} to send"),
    "failing": ("同步出错，待同步 {n} 条", "Sync error, {n} to send"),
    "not_configured": ("未配置中心，本门岗不同步", "No centre configured"),
    "connecting": ("正在连接中心", "Connecting to the centre"),
    "school": ("{total} 人次·{gates} 门岗·异常 {flagged}", "{total} in · {gates} gates · {flagged} flagged"),
    "s": ("{n} 秒前", "{n} s ago"), "min": ("{n} 分钟前", "{n} min ago"), "h": ("{n} 小时前", "{n} h ago"),
    "d": ("{n} 天前", "{n} d ago"),
}


def sync_words(key: str, lang: str = "zh", **values: Any) -> str:
    """A sync or school-totals phrase of the status bar, in the window's language."""
    return pick(SYNC_WORDS[key], lang).format(**values)


# code -> (severity, Chinese template, English template). Templates use str.format
# with the reason's parameters plus ``element`` (already in words).
REASONS: dict[str, tuple[str, str, str]] = {
    "health_colour": ("deny", "健康码异常：{colour}", "Health code is {colour}"),
    "code_invalid": ("deny", "{element}无效：{error}", "Invalid {element}: {error}"),
    "nucleic_positive": ("deny", "核酸检测阳性", "Positive nucleic-acid test"),
    "nucleic_stale": ("deny", "核酸检测超过 {hours} 小时", "Nucleic-acid test older than {hours} h"),
    "itinerary_risk": ("deny", "行程卡：7天内到访中高风险地区{cities}",
                       "Itinerary card: visited a risk area in the last 7 days{cities}"),
    "vaccine_none": ("deny", "未接种疫苗", "Not vaccinated"),
    "fever": ("deny", "体温 {celsius:.1f} °C ≥ {threshold:.1f} °C（发热）",
              "Temperature {celsius:.1f} °C ≥ {threshold:.1f} °C (fever)"),
    "fever_no_retake": ("ask", "体温 {celsius:.1f} °C 偏高，需复测（未复测）",
                        "Temperature {celsius:.1f} °C high: a retake is needed (none taken)"),
    "no_mask": ("deny", "未佩戴口罩", "No mask"),
    "card_unknown": ("deny", "卡号不在名册中", "Card not in the roster"),
    "element_failed": ("deny", "{element}不符合要求", "{element} not acceptable"),
    "not_checked": ("ask", "{element}未核验", "{element} not checked"),
    "unverified": ("ask", "{element}无法核验", "{element} could not be verified"),
    "needs_confirmation": ("ask", "{element}需人工核验", "{element}: guard must confirm"),
    "colour_only": ("ask", "健康码仅颜色识别，请人工核验颜色", "Health code read by colour only: confirm its colour"),
    "unknown_code": ("ask", "不是已知的健康码，请人工核验", "Not a known health code: the guard must check it"),
    "mask_suggested_missing": ("ask", "检测到未戴口罩，请提示佩戴", "No mask detected: ask the person to wear one"),
    "retake": ("ask", "体温 {celsius:.1f} °C 偏高，请 {wait:.0f} 秒后复测",
               "Temperature {celsius:.1f} °C high: retake in {wait:.0f} s"),
    "temperature_implausible": ("ask", "体温读数异常（{celsius:.1f} °C），请重新测温",
                                "Implausible reading ({celsius:.1f} °C): measure again"),
    "replay": ("ask", "同一二维码刚被他人使用，请核对身份", "This code was just used by someone else: check identity"),
    "after_refusal": ("ask", "上一位刚被禁止通行，请核对此人身份（防止换人持码）",
                      "Someone was just refused: check this person is the code's holder"),
    "identity_unbound": ("ask", "有码未显示持有人，无法确认是同一人，请核对身份",
                         "A code names nobody: check that all codes are this person's"),
    "identity_confirmed": ("note", "身份已人工核对", "Identity checked by the guard"),
    "registration_incomplete": ("ask", "登记信息不完整：{fields}", "Registration incomplete: {fields}"),
    "returnee": ("note", "返校人员：需 {hours} 小时内核酸阴性", "Returnee: negative test within {hours} h required"),
    "key_post": ("note", "重点岗位（{group}）：需 {days} 天内核酸阴性",
                 "Key post ({group}): negative test within {days} days required"),
    "wrong_lane": ("note", "应走{lane}", "Should use the {lane}"),
    "soft_failed": ("note", "{element}不符合要求（已记录）", "{element} not acceptable (logged)"),
    "soft_missing": ("note", "{element}未核验（已记录）", "{element} not checked (logged)"),
    "override": ("note", "人工改判：{text}", "Overridden by the guard: {text}"),
    "handoff": ("note", "在门卫室交接，未入校", "Handed over at the guard room, did not enter"),
    "visit_abandoned": ("note", "未完成核验即离开", "Left before the check was complete"),
    "clock_backwards": ("note", "本机时间早于上一条记录", "The clock is earlier than the previous entry"),
}


def pick(pair: tuple[str, str], lang: str) -> str:
    """The word of a (Chinese, English) pair for ``lang``."""
    return pair[1] if lang == "en" else pair[0]


def element_words(element: str | None, lang: str = "zh") -> str:
    if element is None:
        return ""
    return pick(ELEMENT_WORDS.get(element, (element, element)), lang)


def kind_words(kind: str, lang: str = "zh", *, button: bool = False) -> str:
    """A person kind's words; ``button``: the shortened English of the kind keys' buttons."""
    return pick((KIND_BUTTON_WORDS if button else KIND_WORDS).get(kind, (kind, kind)), lang)


def lane_words(lane: str, lang: str = "zh") -> str:
    return pick(LANE_WORDS.get(lane, (lane, lane)), lang)


def decision_words(decision: str, lang: str = "zh") -> str:
    return pick(DECISION_WORDS.get(decision, (decision, decision)), lang)


def colour_words(colour: str, lang: str = "zh") -> str:
    return pick(COLOUR_WORDS.get(colour, (colour, colour)), lang)


def source_words(source: str, lang: str = "zh") -> str:
    return pick(SOURCE_WORDS.get(source, (source, source)), lang)


def follow_up_words(follow_up: str, lang: str = "zh") -> str:
    return pick(FOLLOW_UP_WORDS.get(follow_up, (follow_up, follow_up)), lang)


def outcome_words(outcome: str, lang: str = "zh") -> str:
    return pick(OUTCOME_WORDS.get(outcome, (outcome, outcome)), lang)


def nucleic_words(value: str, lang: str = "zh") -> str:
    """A nucleic-acid cell: a result (阴性/阳性) or, failing that, an outcome."""
    return pick(NUCLEIC_WORDS[value], lang) if value in NUCLEIC_WORDS else outcome_words(value, lang)


def origin_words(origin: str, lang: str = "zh") -> str:
    return pick(ORIGIN_WORDS.get(origin, (origin, origin)), lang)


def device_words(device: str, lang: str = "zh") -> str:
    return pick(DEVICE_WORDS.get(device, (device, device)), lang)


def band_words(band: str, lang: str = "zh") -> str:
    return pick(TEMPERATURE_BAND_WORDS.get(band, (band, band)), lang)


def finding_source_words(source: str, lang: str = "zh") -> str:
    return pick(FINDING_SOURCE_WORDS.get(source, (source, source)), lang)


def registration_field_words(name: str, lang: str = "zh") -> str:
    return pick(REGISTRATION_FIELD_WORDS.get(name, (name, name)), lang)

def export_failure_words(kind: str, lang: str = "zh") -> str:
    """One line for a failed export: ``database``, ``audit``, ``cancelled``, ``unexpected``, ``range``, ``write``
    or ``process``.

    ``write`` and ``process`` hold ``%1``: the file, or how the process ended.
    """
    return pick(EXPORT_FAILURE_WORDS.get(kind, EXPORT_FAILURE_WORDS["unexpected"]), lang)


def severity(code: str) -> str:
    """``deny``, ``ask`` or ``note`` (unknown codes are treated as needing the guard)."""
    return REASONS[code][0] if code in REASONS else "ask"


def reason_words(code: str, params: Mapping[str, Any] | None = None, element: str | None = None,
                 lang: str = "zh") -> str:
    """A reason in words. Unknown codes (from a newer kiosk) fall back to the stored message."""
    params = dict(params or {})
    entry = REASONS.get(code)
    if entry is None:
        return str(params.get("message") or code)
    template = entry[2] if lang == "en" else entry[1]
    values: dict[str, Any] = dict(params)
    values["element"] = element_words(element, lang)
    if "colour" in values:
        values["colour"] = colour_words(str(values["colour"]), lang)
    if "error" in values:
        values["error"] = pick(CODE_ERROR_WORDS.get(str(values["error"]), (str(values["error"]),) * 2), lang)
    if "lane" in values:
        values["lane"] = lane_words(str(values["lane"]), lang)
    if "fields" in values and isinstance(values["fields"], (list, tuple)):
        sep = ", " if lang == "en" else "、"
        values["fields"] = sep.join(registration_field_words(f, lang) for f in values["fields"])
    if "cities" in values:
        cities = values["cities"]
        joined = "、".join(cities) if isinstance(cities, (list, tuple)) else str(cities or "")
        values["cities"] = (f" ({joined})" if lang == "en" else f"（{joined}）") if joined else ""
    try:
        text = template.format(**values)
        return text[:1].upper() + text[1:] if lang == "en" else text
    except (KeyError, ValueError, TypeError, IndexError):
        # A stored reason from an older kiosk may lack a parameter: say what we can.
        return template.split("{")[0].rstrip("：: ") or code


def stored_reason_words(reason: Mapping[str, Any], lang: str = "zh") -> str:
    """Words for a reason as stored in an entry row (``{"code", "params", "element", "message"}``)."""
    code = str(reason.get("code") or "")
    params = reason.get("params")
    if code not in REASONS or not isinstance(params, Mapping):
        # Rows written before reasons carried parameters keep their own words.
        message = reason.get("message")
        if message:
            return str(message)
        params = {}
    element = reason.get("element")
    return reason_words(code, params, element if isinstance(element, str) else None, lang)
