"""Criteria editions as data: YAML files in criteria/ → validated, hashed, frozen `Edition`s. Pure.

(`stored` holds the database tables, the snapshots and the admin's choices of edition, and `editions`
reads them; both are imported on their own, not from here. `schedule` is pure: which choice decides.)
"""

from outlet_audit.criteria.loader import CriteriaError, load_edition, load_editions, validate_paths
from outlet_audit.criteria.model import (
    AnswerSpec,
    Bonus,
    Declaration,
    Edition,
    EvidenceRule,
    Item,
    LevelRules,
    Option,
    RevocationGround,
    Section,
    SpotCheckRules,
    SupervisionRules,
    Text,
    Threshold,
    YearlyCheckRules,
)

__all__ = [
    "AnswerSpec",
    "Bonus",
    "CriteriaError",
    "Declaration",
    "Edition",
    "EvidenceRule",
    "Item",
    "LevelRules",
    "Option",
    "RevocationGround",
    "Section",
    "SpotCheckRules",
    "SupervisionRules",
    "Text",
    "Threshold",
    "YearlyCheckRules",
    "load_edition",
    "load_editions",
    "validate_paths",
]
