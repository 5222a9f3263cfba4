"""`flask demo load`: a small, believable data set to try the app with. Never in production.

Passwords are random per instance, written to `instance/demo-passwords.txt` (mode 600) and
printed every time, so nothing guessable ships in the code.
"""

import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from outlet_audit.accounts.models import User
from outlet_audit.accounts.operations import staff_organisation
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.queries import valid_certificate_clause
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.demo.supervision import load_demo_supervision, supervision_facts, supervision_summary
from outlet_audit.extensions import db
from outlet_audit.outlets.models import District, Outlet, official_district_name
from outlet_audit.roles import BUREAU_ROLES, Agency, Role
from outlet_audit.workflow.demo import load_demo_applications
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.states import LEVEL_LABELS, STATUS_LABELS, Level, Status

demo_cli = AppGroup("demo", help="Demonstration data (development only).")

# name, brand, district code, address, permit number, manager, phone
DEMO_OUTLETS = [
    (
        "奉贤南桥顺丰营业部",
        "顺丰",
        "FX",
        "奉贤区南桥镇百齐路 288 号",
        "SH-KD-2021-0158",
        "王建国",
        "13801761234",
    ),
    (
        "奉贤西渡中通快递网点",
        "中通",
        "FX",
        "奉贤区西渡街道浦星公路 1021 号",
        "SH-KD-2020-3321",
        "李敏",
        "13917650022",
    ),
    (
        "奉贤金汇邮政揽投部",
        "中国邮政",
        "FX",
        "奉贤区金汇镇金汇路 66 号",
        "SH-YZ-2019-0007",
        "张伟",
        "021-57412345",
    ),
    (
        "奉贤庄行京东配送站",
        "京东",
        "FX",
        "奉贤区庄行镇南亭公路 505 号",
        "SH-KD-2022-7710",
        "陈静",
        "13661980437",
    ),
    (
        "青浦徐泾圆通网点",
        "圆通",
        "QP",
        "青浦区徐泾镇诸光路 1588 号",
        "SH-KD-2018-4402",
        "刘洋",
        "13764501288",
    ),
    (
        "青浦朱家角韵达快递",
        "韵达",
        "QP",
        "青浦区朱家角镇沪青平公路 6688 号",
        "SH-KD-2021-5530",
        "赵磊",
        "15821093370",
    ),
    (
        "浦东张江顺丰营业点",
        "顺丰",
        "PD",
        "浦东新区张江镇祖冲之路 899 号",
        "SH-KD-2017-1203",
        "孙丽",
        "13585631100",
    ),
    (
        "浦东川沙申通网点",
        "申通",
        "PD",
        "浦东新区川沙新镇川沙路 4800 号",
        "SH-KD-2019-8834",
        "周杰",
        "13918825566",
    ),
    (
        "浦东惠南极兔快递站",
        "极兔",
        "PD",
        "浦东新区惠南镇人民东路 2050 号",
        "SH-KD-2023-0911",
        "吴芳",
        "17721035588",
    ),
    (
        "闵行莘庄德邦营业部",
        "德邦",
        "MH",
        "闵行区莘庄镇莘松路 380 号",
        "SH-KD-2020-6642",
        "郑强",
        "13816624433",
    ),
    (
        "徐汇漕河泾菜鸟驿站",
        "菜鸟",
        "XH",
        "徐汇区漕河泾开发区宜山路 700 号",
        "SH-KD-2022-2290",
        "冯晓",
        "18017763321",
    ),
    (
        "嘉定安亭中国邮政揽投部",
        "中国邮政",
        "JD",
        "嘉定区安亭镇墨玉路 185 号",
        "SH-YZ-2018-0032",
        "何平",
        "021-69571234",
    ),
    # certified for the demo of supervision after the certificate (demo/supervision.py)
    (
        "奉贤海湾韵达快递网点",
        "韵达",
        "FX",
        "奉贤区海湾镇海兴路 318 号",
        "SH-KD-2021-6603",
        "黄志远",
        "13816657021",
    ),
    (
        "奉贤奉城申通网点",
        "申通",
        "FX",
        "奉贤区奉城镇南奉公路 2299 号",
        "SH-KD-2019-2087",
        "林秀英",
        "13917702268",
    ),
    (
        "奉贤柘林圆通网点",
        "圆通",
        "FX",
        "奉贤区柘林镇迎龙路 155 号",
        "SH-KD-2020-4416",
        "马俊",
        "13764418809",
    ),
    (
        "奉贤四团德邦营业部",
        "德邦",
        "FX",
        "奉贤区四团镇川南奉公路 6508 号",
        "SH-KD-2022-3359",
        "高红梅",
        "15900863352",
    ),
    (
        "奉贤青村新开网点（待核验）",
        "极兔",
        "FX",
        "奉贤区青村镇南奉公路 9518 号",
        "SH-KD-2025-1024",
        "许诺",
        "13262271159",
    ),
]

# username, display name, role, district code, outlet permit number
DEMO_USERS = [
    ("admin", "系统管理员", Role.ADMIN, None, None),
    ("city", "上海市邮政管理局 审核员", Role.CITY_BUREAU, None, None),
    ("fengxian", "奉贤区邮政管理局 审核员", Role.DISTRICT_BUREAU, "FX", None),
    ("qingpu", "青浦区邮政管理局 审核员", Role.DISTRICT_BUREAU, "QP", None),
    ("fengxian-eco", "奉贤区生态环境局 审核员", Role.DISTRICT_BUREAU, "FX", None),
    ("inspector1", "顾检查", Role.INSPECTOR, "FX", None),
    ("inspector2", "沈评估", Role.INSPECTOR, "FX", None),
    ("inspector-eco", "陆环评", Role.INSPECTOR, "FX", None),
    ("outlet", "王建国（南桥顺丰）", Role.OUTLET, None, "SH-KD-2021-0158"),
    ("outlet2", "李敏（西渡中通）", Role.OUTLET, None, "SH-KD-2020-3321"),
    ("outlet3", "张伟（金汇邮政）", Role.OUTLET, None, "SH-YZ-2019-0007"),
    ("outlet4", "陈静（庄行京东）", Role.OUTLET, None, "SH-KD-2022-7710"),
    ("outlet5", "刘洋（徐泾圆通）", Role.OUTLET, None, "SH-KD-2018-4402"),
    ("outlet6", "黄志远（海湾韵达）", Role.OUTLET, None, "SH-KD-2021-6603"),
    ("outlet7", "林秀英（奉城申通）", Role.OUTLET, None, "SH-KD-2019-2087"),
    ("outlet8", "马俊（柘林圆通）", Role.OUTLET, None, "SH-KD-2020-4416"),
    ("outlet9", "高红梅（四团德邦）", Role.OUTLET, None, "SH-KD-2022-3359"),
    ("newoutlet", "许诺（青村极兔）", Role.OUTLET, None, "SH-KD-2025-1024"),
]
UNVERIFIED_PERMITS = {"SH-KD-2025-1024"}


def _password_file() -> Path:
    return Path(current_app.instance_path) / "demo-passwords.txt"


def load_demo_data() -> dict[str, str]:
    """Insert the demo outlets and users if absent; return the demo passwords by username."""
    districts = {d.code: d for d in db.session.scalars(select(District))}
    outlets = {}
    for name, brand, code, address, permit, manager, phone in DEMO_OUTLETS:
        outlet = db.session.scalar(select(Outlet).where(Outlet.permit_number == permit))
        if outlet is None:
            outlet = Outlet(
                name=name,
                brand=brand,
                district_id=districts[code].id,
                address=address,
                permit_number=permit,
                manager=manager,
                phone=phone,
                opening_hours="08:30–19:00",
                verified=permit not in UNVERIFIED_PERMITS,
            )
            db.session.add(outlet)
        outlets[permit] = outlet
    db.session.flush()

    passwords = {}
    for username, display_name, role, code, permit in DEMO_USERS:
        if db.session.scalar(select(func.count()).where(User.username == username)):
            continue
        password = f"demo-{secrets.token_urlsafe(9)}1"
        # "-eco" accounts belong to the district's ecology and environment bureau, which co-signs
        # approvals and joins joint inspection teams; every bureau account signs approval steps.
        organisation = staff_organisation(
            role, districts[code].id if code else None, "ecology" if "-eco" in username else "postal"
        )
        user = User(
            username=username,
            display_name=display_name,
            role=role,
            organisation_id=organisation.id if organisation is not None else None,
            approver=role in BUREAU_ROLES,
            district_id=districts[code].id if code else None,
            outlet_id=outlets[permit].id if permit else None,
            outlet_manager=permit is not None,  # each demo outlet's one account manages it
        )
        user.set_password(password)
        db.session.add(user)
        passwords[username] = password
    db.session.flush()
    return passwords


@demo_cli.command("load")
def load():
    """Load the demo data (refused in production) and print the demo accounts."""
    if not current_app.config["LOAD_DEMO_DATA"]:
        raise click.ClickException("demo data never loads in this configuration")
    new_passwords = load_demo_data()
    load_demo_applications()  # applications in several states, each step made as users make it
    load_demo_supervision({user.username: user for user in db.session.scalars(select(User))})
    db.session.commit()
    path = _password_file()
    if new_passwords:
        lines = [f"{username}\t{password}" for username, password in new_passwords.items()]
        existing = path.read_text().splitlines() if path.exists() else []
        path.touch(mode=0o600)
        path.write_text("\n".join(existing + lines) + "\n")
    click.echo("Demo accounts (username / password: who it is), also in " + str(path) + ":")
    if path.exists():
        users = {user.username: user for user in db.session.scalars(select(User))}
        for line in path.read_text().splitlines():
            username, _sep, password = line.partition("\t")
            who = describe_account(users[username]) if username in users else "no longer in this database"
            click.echo(f"  {username:11} {password:20} {who}")
    summary = supervision_summary()
    if summary:
        click.echo("Supervision after the certificate (Fengxian):")
        for line in summary:
            click.echo(f"  {line}")


ROLE_NAMES = {
    Role.ADMIN: "administrator",
    Role.CITY_BUREAU: "city bureau",
    Role.DISTRICT_BUREAU: "district bureau",
    Role.INSPECTOR: "inspector",
    Role.OUTLET: "outlet staff",
}


def describe_account(user: User) -> str:
    """Who a demo account is and where its work stands, read from the data (what to try it for)."""
    role = ROLE_NAMES[Role(user.role)]
    if user.role == Role.CITY_BUREAU:
        return f"上海市邮政管理局, {role}"
    if user.role == Role.DISTRICT_BUREAU and user.agency == Agency.DISTRICT_ECOLOGY:
        return f"{user.organisation.name_zh}, {role}"  # the joint review's, not the postal bureau's
    if user.role in (Role.DISTRICT_BUREAU, Role.INSPECTOR):
        district = official_district_name(user.district.name_zh)
        return f"{district}邮政管理局, {role}" if user.role == Role.DISTRICT_BUREAU else f"{district} {role}"
    if user.role != Role.OUTLET or user.outlet is None:
        return role
    outlet = user.outlet
    facts = [] if outlet.verified else ["registration not yet verified by the district bureau"]
    level = db.session.scalar(
        select(Certificate.level)
        .where(Certificate.outlet_id == outlet.id, valid_certificate_clause(today_in_shanghai()))
        .order_by(Certificate.issued_on.desc())
        .limit(1)
    )
    if level:
        facts.append(f"holds a {LEVEL_LABELS[Level(level)].en.lower().replace(' ', '-')} certificate")
    for target, status in db.session.execute(
        select(Application.target_level, Application.status)
        .where(Application.outlet_id == outlet.id, Application.status != Status.APPROVED)
        .order_by(Application.id)
    ):
        level_name = LEVEL_LABELS[Level(target)].en.lower()
        facts.append(f"{level_name} application: {STATUS_LABELS[Status(status)].lower()}")
    facts += supervision_facts(user)
    return f"{outlet.name}, {role}" + (f" — {'; '.join(facts)}" if facts else "")
