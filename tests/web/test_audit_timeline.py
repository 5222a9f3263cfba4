"""The history reads as sentences: every event in the reader's language, values as shown elsewhere,
the system's English reasons translated, newest first, by day and by visit, with a filter."""

import html
import re
from datetime import timedelta

import pytest

from outlet_audit.audit.events import EVENT_TYPES, Kind
from outlet_audit.audit.operations import record
from outlet_audit.core.time import clock_at, utcnow
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from tests.conftest import counted_statements
from tests.factories import district, login, make_application, make_outlet, make_user

SHA256 = "cbe444d1f0a9e33b7c1d2e3f4a5b6c7d8e9f00112233445566778899aabbccdd"
IMPORT_REASON = f"bulk import, file sha256 {SHA256}"  # as outlets.import_operations writes it
TYPED_REASON = "与许可证登记不一致，请核对。"
RAW_ACTION = re.compile(r"\b[a-z]+_[a-z_]+\b")  # outlet_registered, evidence_deleted, ...


@pytest.fixture
def place(ctx):
    outlet = make_outlet("FX", name="奉贤历史测试网点", opening_hours="08:30–19:00")
    outlet_user = make_user(Role.OUTLET, outlet=outlet, display_name="王网点")
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX", display_name="奉贤局审核员")
    inspector = make_user(Role.INSPECTOR, district_code="FX", display_name="顾检查")
    with clock_at(utcnow() - timedelta(days=4)):  # before every event the tests write
        application = make_application(outlet, status="inspection_scheduled", inspectors=[inspector])
    return outlet, outlet_user, bureau, inspector, application


def write(action, when=None, **fields):
    event = record(action, **fields)
    if when is not None:
        event.occurred_at = when
    db.session.flush()
    return event


def about_application(application) -> dict:
    """The keys of a row about the application itself, as the workflow writes them."""
    return {
        "subject_type": "application",
        "subject_id": application.id,
        "application_id": application.id,
        "outlet_id": application.outlet_id,
    }


def section(client, url: str, locale: str, user) -> str:
    """The history's HTML, as `user` reads it in `locale`."""
    user.locale = locale
    db.session.flush()
    login(client, user)
    response = client.get(url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return page[page.index('class="timeline-block"') : page.index("</main>")]


def seen(markup: str) -> str:
    """The text of some HTML as a reader sees it: no tags, no text for screen readers only."""
    markup = re.sub(r'<span class="visually-hidden">[^<]*</span>', "", markup)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def history(client, url: str, locale: str, user) -> str:
    return seen(section(client, url, locale, user))


def profile_events(outlet, outlet_user, bureau, application):
    """One row of each kind the outlet's page shows, written as the code writes them."""
    common = {"subject_type": "outlet", "subject_id": outlet.id, "outlet_id": outlet.id}
    write("outlet_registered", actor=outlet_user, new=outlet.permit_number, **common)
    write("outlet_verified", actor=bureau, field="verified", old=False, new=True, **common)
    write(
        "outlet_updated",
        actor=bureau,
        field="opening_hours",
        old="08:30–19:00",
        new="08:00–20:00",
        reason=IMPORT_REASON,
        **common,
    )
    write(
        "outlet_updated",
        actor=bureau,
        field="district_id",
        old=str(district("FX").id),
        new=str(district("QP").id),
        reason=IMPORT_REASON,
        **common,
    )
    write("profile_change_requested", actor=outlet_user, field="manager", old="王测试", new="李新", **common)
    write(
        "profile_change_rejected",
        actor=bureau,
        field="manager",
        old="王测试",
        new="李新",
        reason=TYPED_REASON,
        **common,
    )
    write(
        "transition",
        actor=bureau,
        field="accept",
        old="submitted",
        new="accepted",
        **about_application(application),
    )
    write(
        "draft_saved",
        actor=outlet_user,
        field="target_level",
        old="district",
        new="city",
        **about_application(application),
    )
    on_application = {"application_id": application.id, "outlet_id": outlet.id}
    write(
        "certificate_revoked",
        actor=bureau,
        subject_type="certificate",
        subject_id=1,
        field="state",
        old="active",
        new="revoked",
        reason=TYPED_REASON,
        **on_application,
    )
    write(
        "certificate_expiry_reminder",
        actor=None,
        subject_type="certificate",
        subject_id=1,
        outlet_id=outlet.id,
        field="90",
        new="2028-12-06",
    )
    write(
        "evidence_deleted",
        actor=outlet_user,
        subject_type="evidence",
        subject_id=1,
        field="self:1.3",
        old="IMG_0001.jpg",
        **on_application,
    )


def test_the_outlet_page_tells_each_event_in_chinese_with_values_as_shown_elsewhere(client, place):
    outlet, outlet_user, bureau, _inspector, application = place
    profile_events(outlet, outlet_user, bureau, application)
    text = history(client, f"/outlets/{outlet.id}", "zh_CN", bureau)
    for sentence in (
        f"王网点注册了网点，快递业务经营许可证或备案编号为 {outlet.permit_number}",
        "奉贤局审核员核验了网点信息",
        "奉贤局审核员通过批量导入修改了营业时间",
        "08:30–19:00 → 08:00–20:00",
        "奉贤局审核员通过批量导入修改了所在区",
        "奉贤 → 青浦",  # district names, not ids
        "王网点申请修改负责人，待区局审核",
        "奉贤局审核员未同意修改负责人",
        "奉贤局审核员受理了申请",
        "状态： 已提交 → 已受理",
        "王网点将申报级别由区级改为市级",
        "奉贤局审核员撤销了证书",
        "已提醒网点：证书将于2028年12月6日到期",
        "王网点删除了“IMG_0001.jpg”，原用于自评项目 1.3 不使用不可降解塑料胶带",
        f"理由： {TYPED_REASON}",  # a person's words, as typed
        "来自批量导入的文件，SHA-256 校验值为 cbe444d1f0a9…",
    ):
        assert sentence in text, sentence
    assert not RAW_ACTION.findall(text), RAW_ACTION.findall(text)
    for raw in ("True", "False", "active", "revoked", "2028-12-06", "bulk import", "district", "accepted"):
        assert raw not in text, raw


def test_the_same_history_in_english(client, place):
    outlet, outlet_user, bureau, _inspector, application = place
    profile_events(outlet, outlet_user, bureau, application)
    text = history(client, f"/outlets/{outlet.id}", "en", bureau)
    for sentence in (
        "奉贤局审核员 changed Opening hours by bulk import",
        "Fengxian → Qingpu",
        "王网点 asked the district bureau to change Manager",
        "奉贤局审核员 accepted the application",
        "Status: Submitted → Accepted",
        "王网点 changed the level applied for from District level to City level",
        "王网点 removed “IMG_0001.jpg” from self-assessment item 1.3 No non-degradable plastic tape",
        "From the bulk import of the file with SHA-256 cbe444d1f0a9…",
    ):
        assert sentence in text, sentence
    assert not RAW_ACTION.findall(text), RAW_ACTION.findall(text)


def test_a_hash_is_shortened_with_the_whole_of_it_in_the_title(client, place):
    outlet, outlet_user, bureau, _inspector, application = place
    profile_events(outlet, outlet_user, bureau, application)
    markup = section(client, f"/outlets/{outlet.id}", "zh_CN", bureau)
    assert f'<span class="audit-token" title="{SHA256}">{SHA256[:12]}…</span>' in markup
    assert markup.count(SHA256) == markup.count(f'title="{SHA256}"')  # never shown whole


def test_the_checklist_answers_read_as_the_checklist_shows_them(client, place):
    outlet, outlet_user, bureau, inspector, application = place
    answers = [
        ("self:1.1", None, "true"),
        ("self:3.1", None, '"A"'),
        ("self:3.1", '"A"', '"B" (仓库改造期间暂停)'),
        ("self:2.1", "95", "N/A"),
        ("self:5.2", None, "2"),
    ]
    for field_value, old, new in answers:
        write(
            "answer_saved",
            actor=outlet_user,
            subject_type="answer",
            subject_id=1,
            application_id=application.id,
            field=field_value,
            old=old,
            new=new,
        )
    write(
        "draft_saved", actor=outlet_user, field="eligibility:E2", new="yes", **about_application(application)
    )
    text = history(client, f"/applications/{application.id}", "zh_CN", outlet_user)
    for sentence in (
        "自评：保存5项回答",
        "王网点填写了自评项目 1.1 全面使用电子运单：是",
        "王网点填写了自评项目 3.1 推广使用可循环快递包装：常态化使用，有使用记录",
        "王网点修改了自评项目 3.1 推广使用可循环快递包装的回答，"
        "由“常态化使用，有使用记录”改为“偶尔或试点使用（备注：仓库改造期间暂停）”",
        "王网点修改了自评项目 2.1 电商快件原装直发比例（目标 95%）的回答，由“95 %”改为“不适用”",
        "王网点填写了自评项目 5.2",
        "王网点回答了申报条件声明 E2 申报材料真实、准确、完整，无弄虚作假或涉嫌造假情形：是",
    ):
        assert sentence in text, sentence
    for raw in ("true", '"A"', "N/A", "yes"):
        assert raw not in text, raw


def test_newest_first_by_day_and_each_inspection_round_folded(client, place):
    outlet, outlet_user, bureau, inspector, application = place
    start = utcnow() - timedelta(days=3)
    on_application = {"application_id": application.id, "subject_type": "answer", "subject_id": 1}
    for minute, code in enumerate(("1.1", "1.2")):
        write(
            "answer_saved",
            start + timedelta(minutes=minute),
            actor=inspector,
            field=f"inspection:{code}",
            new="true",
            **on_application,
        )
    write(
        "transition",
        start + timedelta(days=1),
        actor=bureau,
        field="reopen_inspection",
        old="inspected",
        new="inspection_scheduled",
        reason="第 1.2 项需复查。",
        **about_application(application),
    )
    for minute in range(2):
        write(
            "answer_saved",
            start + timedelta(days=2, minutes=minute),
            actor=inspector,
            field="inspection:1.2",
            old="true",
            new="false",
            **on_application,
        )
    markup = section(client, f"/applications/{application.id}", "zh_CN", bureau)
    days = re.findall(r'<h3 class="timeline-date"><time datetime="([\d-]+)">', markup)
    assert days == sorted(days, reverse=True) and len(days) == 3 + 1  # and the day it was made
    text = seen(markup)
    second, reopened, first = (
        text.index(s)
        for s in ("第2轮现场检查：保存2项回答", "重新开启了现场检查", "检查员 现场检查：保存2项回答")
    )
    assert second < reopened < first  # newest first
    written_days = markup.split('<h3 class="timeline-date">')[1:4]  # the fourth: the application made
    assert seen("".join(written_days)).count("查看每项变更") == 2
    assert "理由： 第 1.2 项需复查。" in text


def test_the_filter_offers_the_kinds_present_and_marks_every_entry(client, place):
    outlet, outlet_user, bureau, _inspector, application = place
    entry = re.compile(r'<li class="timeline-(?:entry|step)" data-kind="([\w ]+)">')
    made = len(entry.findall(section(client, f"/outlets/{outlet.id}", "zh_CN", bureau)))  # the application's
    profile_events(outlet, outlet_user, bureau, application)
    markup = section(client, f"/outlets/{outlet.id}", "zh_CN", bureau)
    offered = re.findall(
        r'<input type="radio" class="btn-check" name="history-kind" id="[\w-]+" value="(\w+)"', markup
    )
    assert offered == ["all", Kind.DECISIONS, Kind.ANSWERS, Kind.EVIDENCE, Kind.PROFILE]  # no accounts here
    entries = entry.findall(markup)
    assert len(entries) == made + 11 and set(" ".join(entries).split()) <= set(Kind)


def test_what_people_typed_is_escaped_into_the_sentences(client, place):
    outlet, outlet_user, bureau, _inspector, _application = place
    outlet_user.display_name = "<b>王</b>"
    common = {"subject_type": "outlet", "subject_id": outlet.id, "outlet_id": outlet.id}
    write(
        "profile_updated", actor=outlet_user, field="brand", old="顺丰", new="<script>x()</script>", **common
    )
    write("profile_change_rejected", actor=bureau, field="brand", new="<i>", reason="<img src=x>", **common)
    markup = section(client, f"/outlets/{outlet.id}", "zh_CN", bureau)
    assert "<script>" not in markup and "<img" not in markup and "<b>" not in markup and "<i>" not in markup
    assert "&lt;b&gt;王&lt;/b&gt;修改了品牌" in markup and "&lt;script&gt;x()&lt;/script&gt;" in markup


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_event_type_renders_as_a_sentence(client, place, locale):
    """Each action of the registry, even with fields it does not expect: a sentence, never its name."""
    outlet, _outlet_user, bureau, _inspector, application = place
    for action in EVENT_TYPES:
        write(
            action,
            actor=bureau,
            subject_type="outlet",
            subject_id=outlet.id,
            outlet_id=outlet.id,
            application_id=application.id,
            field="self:9.9",
            old="x",
            new="y",
        )
    write(
        "an_action_nobody_wrote", actor=None, subject_type="outlet", subject_id=outlet.id, outlet_id=outlet.id
    )
    text = history(client, f"/outlets/{outlet.id}", locale, bureau)
    assert not RAW_ACTION.findall(text), RAW_ACTION.findall(text)


def test_the_history_costs_no_query_per_row(app, client, place):
    outlet, outlet_user, bureau, _inspector, application = place
    bureau.locale = "zh_CN"
    login(client, bureau)
    counts = []
    for _round in range(2):
        profile_events(outlet, outlet_user, bureau, application)
        client.get(f"/outlets/{outlet.id}")  # warm the caches
        with counted_statements(savepoints=False) as statements:
            assert client.get(f"/outlets/{outlet.id}").status_code == 200
        counts.append(len(statements))
    assert counts[1] <= counts[0], counts
