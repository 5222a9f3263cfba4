"""The case's letters: what the notice and the decision say, hostile typed text printed literally,
and a page that renders (tests/supervision/revocation_notice.png is written for a look by hand)."""

from datetime import date, datetime

from outlet_audit.supervision.revocation_pdf import (
    Decision,
    LetterData,
    render_revocation_decision,
    render_revocation_notice,
)
from tests.pdf_helpers import HOSTILE_NAME, page_texts, pixel_spread, render_pages


def letter(**changes) -> LetterData:
    values = dict(
        number="CX-2026-FX-000003",
        outlet_name="中通快递奉贤南桥镇解放东路网点",
        outlet_address="上海市奉贤区南桥镇解放东路 888 号",
        certificate_number="WFKD-2025-FX-Q-0007",
        certificate_issued_on=date(2025, 3, 15),
        issuer_name="上海市奉贤区邮政管理局",
        ground_zh="抽查不合格",
        ground_en="Failed spot check",
        grounds="2026年12月抽查：网点仍使用不可降解胶带。",
        evidence="抽查记录 JD-2026-FX-000001；现场照片 3 张。",
        notified_at=datetime(2026, 12, 7, 10, 0),
        response_due=date(2026, 12, 14),
        site_address="https://outlet-audit.example.gov.cn",
    )
    values.update(changes)
    return LetterData(**values)


def flat(pdf: bytes) -> str:
    return "".join("".join(page_texts(pdf)).split())


def test_the_notice_states_grounds_evidence_deadline_and_how_to_respond():
    text = flat(render_revocation_notice(letter()))
    for expected in (
        "撤销告知书",
        "CX-2026-FX-000003",
        "WFKD-2025-FX-Q-0007",
        "抽查不合格",
        "网点仍使用不可降解胶带",
        "现场照片3张",
        "2026年12月14日",
        "陈述申辩",
        "https://outlet-audit.example.gov.cn",
        "上海市奉贤区邮政管理局",
    ):
        assert expected in text, expected


def test_the_decision_says_revoked_or_not_and_why():
    statement_at = datetime(2026, 12, 10, 9, 0)
    revoked = letter(
        decision=Decision(True, datetime(2026, 12, 15, 9, 0), "陈述理由不成立。", statement_at, 2)
    )
    text = flat(render_revocation_decision(revoked))
    assert "撤销决定书" in text and "陈述理由不成立" in text and "附材料2份" in text and "行政复议" in text
    kept = letter(decision=Decision(False, datetime(2026, 12, 15, 9, 0), "已整改。", None, 0))
    text = flat(render_revocation_decision(kept))
    assert "不予撤销决定书" in text and "未提出陈述申辩" in text and "继续有效" in text


def test_typed_text_is_printed_literally():
    pdf = render_revocation_notice(
        letter(grounds=HOSTILE_NAME, evidence="<b>粗体</b> & <font size=40>大</font>")
    )
    text = "".join(page_texts(pdf))
    assert "<script>alert(1)</script>" in text and "<b>粗体</b>" in text and "&" in text


def test_the_notice_renders_to_a_page_with_ink(tmp_path):
    (page,) = render_pages(render_revocation_notice(letter()), resolution=80)
    assert pixel_spread(page) > 10
    page.save(tmp_path / "revocation_notice.png")
