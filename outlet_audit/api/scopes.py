"""What a token may do: the one list of scopes. Pure."""

import enum

from outlet_audit.text import N_


class TokenScope(enum.StrEnum):
    CERTIFICATES_READ = "certificates:read"
    OUTLETS_READ = "outlets:read"
    CAMPAIGNS_READ = "campaigns:read"
    # No scope manages webhooks: an organisation's approvers register them on its pages (/webhooks),
    # so a token grants reading only. A stored word no longer listed is dropped (parse_scopes).


SCOPE_LABELS = {
    TokenScope.CERTIFICATES_READ: N_("Read certificates"),
    TokenScope.OUTLETS_READ: N_("Read outlets"),
    TokenScope.CAMPAIGNS_READ: N_("Read spot-check campaigns"),
}


def parse_scopes(text: str) -> frozenset[TokenScope]:
    """The scopes a row stores as space-separated words; unknown words (a later version's) are dropped."""
    known = {scope.value for scope in TokenScope}
    return frozenset(TokenScope(word) for word in text.split() if word in known)


def scopes_text(scopes) -> str:
    return " ".join(sorted(TokenScope(scope).value for scope in scopes))
