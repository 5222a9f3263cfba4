"""Messages made outside a request (pure code), translated where they are shown.

Pure modules (criteria, scoring, workflow, imports) must not import Flask, yet what they
say reaches users. They build a `Message` from an English template marked with `N_`
(so `pybabel extract -k N_` finds it) and its parameters; the web layer passes it
through `gettext(message.template, **message.params)`.
"""

from dataclasses import dataclass, field
from typing import Any


def N_(template: str) -> str:
    """Mark a template for extraction without translating it here."""
    return template


@dataclass(frozen=True)
class Message:
    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template % self.params if self.params else self.template
