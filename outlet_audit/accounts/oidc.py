"""Single sign-on with an OpenID Connect provider (the government's unified login, or any other),
off unless OIDC_ISSUER is set.

The client is Authlib's: it reads the provider's discovery document, sends the person there with
a state, a nonce and a PKCE challenge, and checks on the way back that the state is the one this
browser was given, then that the ID token is signed by a key of the provider's JWKS and names the
provider (iss), this application (aud), the nonce, and has not expired (exp).

An identity opens an account only when it is linked to it: by the provider's issuer and its
stable `sub`, stored on the account (users.oidc_issuer, users.oidc_subject). An administrator
links it, or the person does while signed in with a password. An e-mail address the provider
passes on never links or creates anything: nobody's account is opened by whoever controls a
mailbox of the same name at the provider.

Our own second factor: an account with an authenticator code still types it after the provider,
unless the provider says it asked a second factor itself (an `amr` or `acr` value listed in
OIDC_MFA_VALUES). An account that must have a code and has none is sent to set one up, as after
a password (accounts/gate.py).
"""

from authlib.integrations.flask_client import OAuth
from flask import current_app
from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.accounts.operations import (
    AccountError,
    mark_signed_in,
    record_sign_in_failure,
)
from outlet_audit.audit.operations import record
from outlet_audit.config import ConfigError
from outlet_audit.extensions import db
from outlet_audit.text import N_, Message

CLIENT_KEY = "outlet_audit.oidc"  # app.extensions: the configured client, when single sign-on is on

NOT_LINKED = N_(
    "This identity is not linked to any account here. Sign in with your username and password, "
    "then link it on your account page, or ask the administrator to link it."
)
ALREADY_LINKED = N_("This identity is linked to another account already.")
NOT_VERIFIED = N_("The sign-in provider's answer could not be verified. Try again.")


class IdentityError(AccountError):
    """Single sign-on refused."""


def init_oidc(app) -> None:
    """Register the provider's client when OIDC_ISSUER is set; nothing otherwise."""
    issuer = app.config.get("OIDC_ISSUER", "")
    if not issuer:
        return
    if not app.config["OIDC_CLIENT_ID"]:
        raise ConfigError(
            "OIDC_ISSUER is set but OIDC_CLIENT_ID is not: register the application at the provider"
        )
    if app.config.get("ENV_NAME") == "production" and not issuer.startswith("https://"):
        raise ConfigError("OIDC_ISSUER must be an https:// address in production")
    oauth = OAuth(app)
    app.extensions[CLIENT_KEY] = oauth.register(
        "oidc",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": app.config["OIDC_SCOPES"],
            "code_challenge_method": "S256",  # PKCE
            "default_timeout": app.config["OIDC_TIMEOUT"],
        },
    )


def is_on(app=None) -> bool:
    return CLIENT_KEY in (app or current_app).extensions


def client():
    return current_app.extensions[CLIENT_KEY]


def provider_name() -> str:
    return current_app.config.get("OIDC_PROVIDER_NAME", "")


def provider_asked_second_factor(claims) -> bool:
    """Whether the ID token says the provider asked a second factor, by a value we were told to trust."""
    trusted = {value.strip() for value in current_app.config["OIDC_MFA_VALUES"].split(",") if value.strip()}
    amr = claims.get("amr") or []
    asserted = set(amr) if isinstance(amr, list) else set()
    if isinstance(claims.get("acr"), str):
        asserted.add(claims["acr"])
    return bool(trusted & {value for value in asserted if isinstance(value, str)})


def _audit(action: str, user: User, actor, **values) -> None:
    record(action, actor=actor, subject_type="user", subject_id=user.id, outlet_id=user.outlet_id, **values)


def account_for_identity(issuer: str, subject: str) -> User | None:
    return db.session.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))


def identity_sign_in(issuer: str, subject: str, *, second_factor_done: bool) -> User:
    """The active account linked to this verified identity, or IdentityError(NOT_LINKED).

    `second_factor_done`: the provider asked a second factor itself; otherwise an account with a
    code is not signed in until the code (accounts.views.second_factor), which finishes the work.
    """
    user = account_for_identity(issuer, subject)
    if user is None:
        raise IdentityError(Message(NOT_LINKED))
    if not user.active:  # written, as a refused password sign-in is (the caller keeps it)
        record_sign_in_failure(user, "disabled_sso")
        raise IdentityError(Message(NOT_LINKED))
    finished = second_factor_done or user.totp_enabled_at is None
    if finished:
        mark_signed_in(user)
        _audit("oidc_sign_in", user, user, field="provider_second_factor" if second_factor_done else None)
    else:  # our code next; accounts.views.second_factor finishes it
        _audit("oidc_sign_in", user, user, field="second_factor_asked")
    return user


def link_identity(user: User, issuer: str, subject: str, actor) -> None:
    """Link a verified identity (the person's own sign-in) or one an administrator was given."""
    subject = subject.strip()
    if not subject or len(subject) > 255:
        raise IdentityError(
            Message(N_("Type the identifier the sign-in provider gives the person.")), "subject"
        )
    holder = account_for_identity(issuer, subject)
    if holder is not None and holder.id != user.id:
        raise IdentityError(Message(ALREADY_LINKED), "subject")
    user.oidc_issuer, user.oidc_subject = issuer, subject
    _audit("oidc_linked", user, actor, new=subject)


def unlink_identity(user: User, actor) -> None:
    if user.oidc_subject is None:
        raise IdentityError(Message(N_("No single sign-on identity is linked to this account.")))
    old = user.oidc_subject
    user.oidc_issuer = user.oidc_subject = None
    _audit("oidc_unlinked", user, actor, old=old)
