"""The pages the benchmark drives: one line each, named by the endpoint that must exist for it to run.

A page whose endpoint is not in the app is reported as "not built yet", never dropped. `values`
are the URL values (rule arguments or query string); "{name}" in a value is replaced by the
seeded `Sample`'s attribute. Rule arguments not given are filled from the sample by name
(`application_id` → `sample.application_id`).
"""

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from outlet_audit.roles import Role


@dataclass(frozen=True)
class Page:
    name: str
    endpoint: str
    role: Role | None = None  # who is signed in; None: anonymous
    public: bool = False  # public pages must reach 0.30 of /healthz, signed-in pages 0.15
    values: dict[str, object] = field(default_factory=dict)
    method: str = "GET"
    # Distinct requests instead of one URL: (sample, edition items) -> endless (URL values, JSON
    # body or None); see answer_saves and spread_over
    requests: Callable | None = None
    # Which bench user of the role signs in (a key of `Sample.usernames`), when not the role's own:
    # "district_ecology" is a district bureau user of the ecology and environment bureau.
    account: str | None = None

    @property
    def user(self) -> str | None:
        """The key of the signed-in bench user in `Sample.usernames` (None: anonymous)."""
        if self.role is None:
            return None
        return self.account or self.role.value


def spread_over(argument: str, attribute: str) -> Callable:
    """GET the page for every record in the sample's list `attribute`, round and round.

    For pages whose renders are cached per record (the PDFs): one URL again and again would
    measure the cache, while thousands of outlets download thousands of different files.
    """

    def requests(sample, _edition_items) -> Iterator[tuple[dict, None]]:
        values = getattr(sample, attribute)
        if not values:
            raise LookupError(f"the sample has no {attribute} to spread the page over")
        while True:
            for value in values:
                yield {argument: value}, None

    return requests


def the_same_post(_sample, _edition_items) -> Iterator[tuple[dict, None]]:
    """The page's own URL, posted again and again with no body (the CSRF token in a header)."""
    return itertools.repeat(({}, None))


def answer_saves(sample, edition_items) -> Iterator[tuple[dict, dict]]:
    """One save of every open item, each naming the version it has now, so every save succeeds.

    Once: a second save of the same item would have to know that the first one was made (wrk
    may prepare a request it never sends). A run that needs more saves than there are targets
    starts over, conflicts (409) and is flagged "ran out of distinct requests": seed more.
    """
    for target in sample.answer_targets:
        item = edition_items[target.item_code]
        yield (
            {"assessment_id": target.assessment_id, "item_code": target.item_code},
            {
                "value": _answer_value(item, target.version),
                "not_applicable": False,
                "note": f"bench save {target.version + 1}",
                "expected_version": target.version,
            },
        )


def _answer_value(item, n: int):
    """A valid answer for the item that changes from one pass to the next."""
    kind = item.answer.type
    if kind == "yes_no":
        return n % 2 == 0
    if kind == "choice":
        return item.answer.options[n % len(item.answer.options)].code
    if kind == "percentage":
        return 90 + n % 10
    return n % 5


BASELINE = Page("/healthz", "core.healthz", public=True)
# /healthz measured again after the pages of each concurrency: the baseline is the mean of both,
# so a neighbour's burst during one of them does not decide every ratio.
BASELINE_AGAIN = Page("/healthz (again)", "core.healthz", public=True)

PAGES = (
    Page("login", "accounts.login", public=True),
    Page("dashboard (city)", "dashboards.overview", Role.CITY_BUREAU),
    Page("dashboard (district)", "dashboards.overview", Role.DISTRICT_BUREAU),
    Page(
        "application queue", "workflow.queue", Role.DISTRICT_BUREAU, values={"status": "approved", "page": 2}
    ),
    Page("application detail", "workflow.application_detail", Role.DISTRICT_BUREAU),
    # The applications whose next approval step is the user's organisation's (workflow.approvals).
    Page("approvals (city postal)", "workflow.approvals", Role.CITY_BUREAU),
    Page("approvals (district postal)", "workflow.approvals", Role.DISTRICT_BUREAU),
    Page(
        "approvals (district ecology)", "workflow.approvals", Role.DISTRICT_BUREAU, account="district_ecology"
    ),
    Page(
        "checklist page", "checklist.edit", Role.INSPECTOR, values={"assessment_id": "{open_assessment_id}"}
    ),
    Page("answer save (POST)", "checklist.save_item", Role.INSPECTOR, method="POST", requests=answer_saves),
    Page(
        "certificate PDF",
        "certificates.certificate_pdf",
        Role.DISTRICT_BUREAU,
        requests=spread_over("certificate_id", "certificate_ids"),
    ),
    Page(
        "inspection report PDF",
        "reports.inspection_report",
        Role.DISTRICT_BUREAU,
        requests=spread_over("application_id", "report_application_ids"),
    ),
    Page(
        "public verification", "public.verify_number", public=True, values={"number": "{certificate_number}"}
    ),
    Page("public directory", "public.directory", public=True),
    Page("public spot-check results", "public_campaigns.index", public=True),
    # #21: the read API, as other systems call it without a token (a token's calls need a header
    # the bench does not send: they read the same rows through the same statements, plus the token's).
    Page("API certificates (anonymous)", "api.certificates", public=True, values={"limit": 200}),
    Page(
        "API certificate (anonymous)",
        "api.certificate",
        public=True,
        values={"number": "{certificate_number}"},
    ),
    Page("API outlets (anonymous)", "api.outlets", public=True, values={"limit": 200}),
    Page("spot-check campaigns (district)", "campaigns.index", Role.DISTRICT_BUREAU),
    Page(
        "XLSX export",
        "dashboards.export",
        Role.DISTRICT_BUREAU,
        values={"kind": "applications", "fmt": "xlsx"},
        method="POST",  # a download is an act in the audit trail: the exports page's button posts
        requests=the_same_post,
    ),
    Page("outlet verification queue", "outlets.verification_queue", Role.DISTRICT_BUREAU),
    Page(
        "revocation proposals",
        "certificates.revocation_proposals",
        Role.CITY_BUREAU,
        values={"state": "all"},
    ),
    Page("revocation cases", "revocation.index", Role.CITY_BUREAU, values={"state": "all"}),
    Page("admin accounts", "admin.users", Role.ADMIN),
    # The whole trail (1.8 million events at 10,000 outlets), newest first, and one person's acts.
    Page("audit log", "audit_log.index", Role.ADMIN),
    Page("audit log (one person)", "audit_log.index", Role.ADMIN, values={"person": "bench-district"}),
    # Supervision after the certificate (H-visits): the district's checks and one check's page.
    Page("supervision checks", "checks.index", Role.DISTRICT_BUREAU),
    Page(
        "supervision check page",
        "checks.check_detail",
        Role.DISTRICT_BUREAU,
        values={"check_id": "{check_id}"},
    ),
    # #17: supervision after the certificate
    Page("supervision dashboard (city)", "supervision_dashboard.overview", Role.CITY_BUREAU),
    Page("supervision dashboard (district)", "supervision_dashboard.overview", Role.DISTRICT_BUREAU),
    Page("yearly self-checks (district)", "yearly.bureau_list", Role.DISTRICT_BUREAU, values={"show": "all"}),
    # Public complaints: the district bureau's list, and the public's form reached from a certificate.
    Page("complaints list", "complaints.index", Role.DISTRICT_BUREAU),
    # #23: the wave's new pages whose rows the seed has. A complaint of the showcase outlet (no visit
    # opened on it: the seed's complaints wait or were dismissed).
    Page(
        "complaint page", "complaints.detail", Role.DISTRICT_BUREAU, values={"complaint_id": "{complaint_id}"}
    ),
    # An application whose findings the outlet answered (and the re-inspection verified): the
    # rectification item by item, with the forms of workflow/views_findings.py.
    Page(
        "application detail (rectification)",
        "workflow.application_detail",
        Role.DISTRICT_BUREAU,
        values={"application_id": "{rectification_application_id}"},
    ),
    # The bench inspector's supervision visits, and the checklist of the showcase check's visit.
    Page("my supervision visits", "checks.my_visits", Role.INSPECTOR),
    Page(
        "supervision visit checklist",
        "checklist.edit",
        Role.INSPECTOR,
        values={"assessment_id": "{check_assessment_id}"},
    ),
    Page(
        "public complaint form",
        "complaints.new",
        public=True,
        values={"number": "{certificate_number}"},
    ),
)

# The page whose time at 1,000 and 100,000 outlets is compared (target: at most 2x).
SCALING_PAGE = "dashboard (city)"
