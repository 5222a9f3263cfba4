"""Who uses outlet-audit. Pure: shared by the models, the access rules and the workflow."""

import enum

from outlet_audit.text import N_


class Role(enum.StrEnum):
    OUTLET = "outlet"  # staff of one express outlet
    INSPECTOR = "inspector"  # assessor of one district bureau, visits outlets on site
    DISTRICT_BUREAU = "district_bureau"  # district postal administration office
    CITY_BUREAU = "city_bureau"  # Shanghai Postal Administration: sees every district
    ADMIN = "admin"  # system administrator: accounts and criteria editions


BUREAU_ROLES = frozenset({Role.DISTRICT_BUREAU, Role.CITY_BUREAU})


class Agency(enum.StrEnum):
    """The kinds of organisation that take part (accounts.organisations holds the organisations).

    The scheme's bulletin has the district postal bureau assess outlets together with the district
    ecology and environment bureau (会同属地生态环境局); the city postal bureau decides city level.
    An edition's approval steps and inspection teams name these.
    """

    DISTRICT_POSTAL = "district_postal"  # 区邮政管理局
    DISTRICT_ECOLOGY = "district_ecology"  # 区生态环境局
    CITY_POSTAL = "city_postal"  # 上海市邮政管理局
    CITY_ECOLOGY = "city_ecology"  # 上海市生态环境局

    @property
    def district_tier(self) -> bool:
        """A district agency reaches its own district; a city one every district."""
        return self in (Agency.DISTRICT_POSTAL, Agency.DISTRICT_ECOLOGY)


# The role a bureau member of each agency has: the scope of what they see follows from it.
AGENCY_BUREAU_ROLE = {
    Agency.DISTRICT_POSTAL: Role.DISTRICT_BUREAU,
    Agency.DISTRICT_ECOLOGY: Role.DISTRICT_BUREAU,
    Agency.CITY_POSTAL: Role.CITY_BUREAU,
    Agency.CITY_ECOLOGY: Role.CITY_BUREAU,
}

# Roles that belong to an organisation (every other role belongs to an outlet, or to nobody).
ORGANISATION_ROLES = frozenset({Role.INSPECTOR, Role.DISTRICT_BUREAU, Role.CITY_BUREAU})


class Act(enum.StrEnum):
    """What one approval step does (an edition's `approvals` names it for each step)."""

    OPINION = "opinion"  # 审核意见: the assessing bureau's opinion, which opens the approval
    RECOMMENDATION = "recommendation"  # 初审推荐: recommends the outlet to the next level's bureau
    COSIGN = "cosign"  # 会签: another agency's consent, without which the path stops
    DECISION = "decision"  # 决定: the issuing bureau decides
    CONFIRMATION = "confirmation"  # 确认: a higher bureau confirms another's decision


# Acts that settle the matter: the last step of every approval chain is one of these, and its
# agency's organisation issues the certificate (and alone may revoke it).
SETTLING_ACTS = frozenset({Act.DECISION, Act.CONFIRMATION})


class Outcome(enum.StrEnum):
    """How a step ends: agree moves the path on; disagree stops it; return sends it back to the
    district postal bureau to complete the file and propose again."""

    AGREE = "agree"
    DISAGREE = "disagree"
    RETURN = "return"


AGENCY_LABELS = {
    Agency.DISTRICT_POSTAL: N_("District postal bureau"),
    Agency.DISTRICT_ECOLOGY: N_("District ecology and environment bureau"),
    Agency.CITY_POSTAL: N_("Shanghai Postal Administration"),
    Agency.CITY_ECOLOGY: N_("Shanghai ecology and environment bureau"),
}

ACT_LABELS = {
    Act.OPINION: N_("Review opinion"),
    Act.RECOMMENDATION: N_("Recommendation"),
    Act.COSIGN: N_("Co-signature"),
    Act.DECISION: N_("Decision"),
    Act.CONFIRMATION: N_("Confirmation"),
}

OUTCOME_LABELS = {
    Outcome.AGREE: N_("Agreed"),
    Outcome.DISAGREE: N_("Disagreed"),
    Outcome.RETURN: N_("Returned"),
}

# As the bilingual inspection report prints them, whatever the reader's language (the catalog's
# Chinese for the labels above, by test).
ACT_ZH = {
    Act.OPINION: "审核意见",
    Act.RECOMMENDATION: "初审推荐",
    Act.COSIGN: "会签",
    Act.DECISION: "决定",
    Act.CONFIRMATION: "确认",
}
OUTCOME_ZH = {Outcome.AGREE: "同意", Outcome.DISAGREE: "不同意", Outcome.RETURN: "退回"}
