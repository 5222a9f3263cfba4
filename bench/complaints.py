"""Public complaints in the benchmark world: a few outlets a year draw one, as the public files them
(supervision.complaints). Part of the world builder (bench/world.py), kept apart for size.

About one certified outlet in twenty has one or two complaints over the last year; most old ones
were dismissed with a reason, the newest are still waiting for the district bureau (some overdue).
No visit is opened on them here: a complaint with a visit needs a supervision check row as well.
"""

from datetime import timedelta

from outlet_audit.supervision.complaints import complaint_reference
from outlet_audit.supervision.kinds import ComplaintCategory

COMPLAINT_COLUMNS = (
    "id",
    "reference",
    "outlet_id",
    "certificate_id",
    "district_id",
    "category",
    "description",
    "contact",
    "follow_code_hash",
    "photo_sha256",
    "photo_mime",
    "status",
    "triage_reason",
    "triaged_at",
    "triaged_by_id",
    "outcome",
    "closed_at",
    "created_at",
)
COMPLAINED_SHARE = 0.05
DESCRIPTIONS = (
    "取件时看到快件被重新套了一层塑料袋。",
    "网点用宽胶带把纸箱缠了好几圈。",
    "门口的纸箱回收点已经撤掉了。",
    "网点墙上挂的证书好像已经过期。",
)
DISMISSAL = "经核实为重复投诉，已合并处理。"
UNTRIAGED_DAYS = 20  # complaints younger than this still wait; older ones were dismissed


def complaint_rows(
    certificates: list[tuple], district_codes: dict[int, str], bureau_of, rng, now, *, always=frozenset()
) -> list[tuple]:
    """Rows for `certificates` (as the certificates table's rows: id, number, application, outlet,
    district, ...); `bureau_of(district_id)` names the district bureau member who triaged. The
    certificates whose ids are in `always` draw complaints whatever the share (the page the bench opens)."""
    rows = []
    categories = list(ComplaintCategory)
    for certificate in certificates:
        if rng.random() >= COMPLAINED_SHARE and certificate[0] not in always:
            continue
        certificate_id, _number, _application, outlet_id, district_id = certificate[:5]
        for _ in range(rng.randint(1, 2)):
            complaint_id = len(rows) + 1
            created = now - timedelta(days=rng.randint(0, 360), minutes=rng.randint(0, 1440))
            waiting = created > now - timedelta(days=UNTRIAGED_DAYS)
            triaged = None if waiting else created + timedelta(days=rng.randint(1, 6))
            rows.append(
                (
                    complaint_id,
                    complaint_reference(created.year, district_codes[district_id], complaint_id),
                    outlet_id,
                    certificate_id,
                    district_id,
                    rng.choice(categories).value,
                    rng.choice(DESCRIPTIONS),
                    None,
                    None,
                    None,
                    None,
                    "received" if waiting else "dismissed",
                    None if waiting else DISMISSAL,
                    triaged,
                    None if waiting else bureau_of(district_id),
                    None,
                    triaged,
                    created,
                )
            )
    return rows
