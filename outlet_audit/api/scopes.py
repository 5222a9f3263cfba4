"""What a token may do: the one list of scopes. Pure."""

import enum

from outlet_audit.text import N_


class TokenScope(enum.StrEnum):
    CERTIFICATES_READ = "certificates:read"
    OUTLETS_READ = "outlets:read"
    CAMPAIGNS_READ = "campaigns:read"
    # Reserved for the webhooks (issue #21, part 4): a token may be given it now, nothing uses it yet.
    WEBHOOKS_MANAGE = "webhooks:manage"


SCOPE_LABELS = {
    TokenScope.CERTIFICATES_READ: N_("Read certificates"),
    TokenScope.OUTLETS_READ: N_("Read outlets"),
    TokenScope.CAMPAIGNS_READ: N_("Read spot-check campaigns"),
    TokenScope.WEBHOOKS_MANAGE: N_("Manage webhooks"),
}


def parse_scopes(text: str) -> frozenset[TokenScope]:
    """The scopes a row stores as space-separated words; unknown words (a later version's) are dropped."""
    known = {scope.value for scope in TokenScope}
    return frozenset(TokenScope(word) for word in text.split() if word in known)


def scopes_text(scopes) -> str:
    return " ".join(sorted(TokenScope(scope).value for scope in scopes))
