"""The draw of a random spot-check campaign (双随机: random outlets, random inspectors). Pure: no
Flask, no database; it reads a seed and the published inputs and nothing else, so anyone can re-run
it in any language and must get the same outlets and teams.

The algorithm, step by step (the public campaign page says the same):

1. `rank(a, b, c)` is the SHA-256 of the UTF-8 text "a:b:c" (the parts joined by colons), written
   as 64 lower-case hex digits; a lower rank comes first (ties, which do not occur in practice,
   by the number or id).
2. Districts are taken in the order the inputs list them (by district code). In each district:
   the sample size is `per_district`, or `share_percent` of the eligible certificates rounded up;
   never more than there are. The certificates of lowest `rank(seed, district_code,
   certificate_number)` are drawn, and their teams are formed in that order.
3. For each drawn certificate, the candidates are the district's inspectors who did not visit its
   outlet within the recusal months (`recused`) and have not yet reached `quota_per_inspector`
   teams in this draw, ordered by `rank(seed, certificate_number, inspector_id)`.
   The team first takes, for each agency the certificate's level requires (`required_agencies`,
   the edition's joint inspection team), the first candidate of that agency; then fills up to
   `team_size` members (at least one per required agency) with the first candidates of any
   agency. A candidate is skipped when they and a member already chosen formed a team together
   on their latest visit (`previous_partners`, then each team drawn here: not the same two
   twice in a row).
4. When a team cannot be completed the draw stops and names the district, the certificate and
   the agency short (or that inspectors in general are short).

The inputs (JSON):
    {"version": 1, "share_percent": int | null, "per_district": int | null, "team_size": int,
     "quota_per_inspector": int, "recusal_months": int,
     "required_agencies": {level: [agency, ...]},
     "districts": [{"code": str, "certificates": [{"number": str, "level": str}] (by number),
                    "inspectors": [{"id": int, "agency": str}] (by id)}],
     "recused": {certificate_number: [inspector_id, ...]},
     "previous_partners": {inspector_id (as text): [inspector_id, ...]}}
`recusal_months` is not used by the draw: it says how `recused` was found.
"""

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

INPUTS_VERSION = 1


@dataclass(frozen=True)
class DrawnCheck:
    district_code: str
    certificate_number: str
    team: tuple[int, ...]  # inspector ids, ascending


class DrawShort(Exception):
    """A drawn certificate's district cannot field a team: `agency` short (None: any inspector)."""

    def __init__(self, district_code: str, certificate_number: str, agency: str | None):
        super().__init__(f"{district_code} {certificate_number}: short of {agency or 'inspectors'}")
        self.district_code = district_code
        self.certificate_number = certificate_number
        self.agency = agency


def rank(*parts: object) -> str:
    """The SHA-256 (hex) of the parts joined by colons: the order of the draw."""
    return hashlib.sha256(":".join(str(part) for part in parts).encode("utf-8")).hexdigest()


def sample_size(eligible: int, share_percent: int | None, per_district: int | None) -> int:
    """How many of `eligible` certificates a district gives: the count, or the share rounded up."""
    wanted = per_district if per_district is not None else -(-eligible * (share_percent or 0) // 100)
    return max(0, min(wanted, eligible))


def draw(seed: str, inputs: Mapping) -> tuple[DrawnCheck, ...]:
    """The outlets and teams drawn from `seed` and `inputs`; DrawShort when a team cannot be formed."""
    required = {level: tuple(agencies) for level, agencies in inputs["required_agencies"].items()}
    recused = {number: frozenset(ids) for number, ids in inputs["recused"].items()}
    partners = {int(inspector): frozenset(ids) for inspector, ids in inputs["previous_partners"].items()}
    load: Counter[int] = Counter()
    drawn = []
    for district in inputs["districts"]:
        code, certificates = district["code"], district["certificates"]
        size = sample_size(len(certificates), inputs["share_percent"], inputs["per_district"])
        chosen = sorted(certificates, key=lambda c: (rank(seed, code, c["number"]), c["number"]))[:size]
        for certificate in chosen:
            number = certificate["number"]
            available = [
                inspector
                for inspector in district["inspectors"]
                if inspector["id"] not in recused.get(number, ())
                and load[inspector["id"]] < inputs["quota_per_inspector"]
            ]
            available.sort(key=lambda i: (rank(seed, number, i["id"]), i["id"]))
            needs = required.get(certificate["level"], ())
            try:
                team = _team(available, needs, max(inputs["team_size"], len(needs)), partners)
            except LookupError as short:
                raise DrawShort(code, number, short.args[0]) from None
            for member in team:
                load[member] += 1
                partners[member] = frozenset(team) - {member}
            drawn.append(DrawnCheck(code, number, tuple(sorted(team))))
    return tuple(drawn)


def _team(candidates: Sequence[Mapping], needs: Sequence[str], size: int, partners: Mapping) -> list[int]:
    team: list[int] = []

    def fits(inspector: Mapping) -> bool:
        candidate = inspector["id"]
        return candidate not in team and all(
            candidate not in partners.get(member, ()) and member not in partners.get(candidate, ())
            for member in team
        )

    for agency in needs:
        team.append(_first(candidates, lambda i, agency=agency: i["agency"] == agency and fits(i), agency))
    while len(team) < size:
        team.append(_first(candidates, fits, None))
    return team


def _first(candidates: Sequence[Mapping], admits, short: str | None) -> int:
    for inspector in candidates:
        if admits(inspector):
            return inspector["id"]
    raise LookupError(short)
