"""A real OpenID Connect provider on 127.0.0.1 for the single sign-on tests, built with Authlib's
server side: discovery, an authorization endpoint that approves the configured person at once,
a token endpoint (authorization code with PKCE, client secret) issuing RS256 ID tokens signed
with a key made for the test, and the JWKS that publishes it.

`id_token_fault` makes it misbehave the way a hostile or broken provider (or a man in the
middle) would: "expired", "wrong_audience", "wrong_issuer", "wrong_nonce" (a replayed token),
"wrong_key" (signed with a key not in the JWKS), "tampered" (a claim changed after signing).
"""

import base64
import json
import threading
import time
from dataclasses import dataclass, field

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

CLIENT_ID = "outlet-audit"
CLIENT_SECRET = "provider-test-secret"  # noqa: S105 - the test provider's own client secret


@dataclass
class Person:
    sub: str
    email: str = ""
    amr: list[str] = field(default_factory=lambda: ["pwd"])

    def get_user_id(self):
        return self.sub


class Client:
    def __init__(self, redirect_uri_prefix: str):
        self.redirect_uri_prefix = redirect_uri_prefix

    def get_client_id(self):
        return CLIENT_ID

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in {"openid", "profile", "email"})

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri.startswith(self.redirect_uri_prefix)

    def check_client_secret(self, client_secret):
        return client_secret == CLIENT_SECRET

    def check_endpoint_auth_method(self, method, endpoint):
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    person: Person
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return self.person.amr


class Provider:
    """Start with `with Provider() as provider:`; `provider.issuer` is its address."""

    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"}, private=True)
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "test-key"}, private=True)
        self.person = Person("citizen-0001")
        self.id_token_fault: str | None = None
        self.codes: dict[str, Code] = {}
        self.token_requests = 0
        self.app = self._build()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join(5)

    def _build(self) -> Flask:
        provider = self
        app = Flask("test_oidc_provider")
        client = Client("http://localhost/login/oidc/callback")

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code, request):
                data = request.payload.data
                provider.codes[code] = Code(
                    code=code,
                    redirect_uri=request.payload.redirect_uri,
                    scope=request.scope,
                    nonce=data.get("nonce"),
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                    person=request.user,
                )

            def query_authorization_code(self, code, client):
                return provider.codes.get(code)

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.person

        class IDToken(OpenIDCode):
            def exists_nonce(self, nonce, request):
                return any(code.nonce == nonce for code in provider.codes.values())

            def resolve_client_private_key(self, client):
                return provider.other_key if provider.id_token_fault == "wrong_key" else provider.key

            def get_client_algorithm(self, client):
                return "RS256"

            def get_client_claims(self, client):
                claims = {"iss": provider.issuer, "aud": [CLIENT_ID]}
                if provider.id_token_fault == "wrong_issuer":
                    claims["iss"] = "https://another-provider.example"
                if provider.id_token_fault == "wrong_audience":
                    # Issued to us (azp) for someone else: only the aud check itself refuses it.
                    claims["aud"], claims["azp"] = ["another-application"], CLIENT_ID
                if provider.id_token_fault == "expired":
                    claims["iat"] = int(time.time()) - 7200
                    claims["exp"] = int(time.time()) - 3600  # well past Authlib's two-minute leeway
                return claims

            def get_authorization_code_claims(self, authorization_code):
                claims = super().get_authorization_code_claims(authorization_code)
                if provider.id_token_fault == "wrong_nonce":
                    claims["nonce"] = "a-nonce-from-another-sign-in"
                return claims

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": "test-key"}

            def generate_user_info(self, user, scope):
                info = UserInfo(sub=user.sub)
                if user.email:  # passed on, as real providers do; the application must not trust it
                    info["email"] = user.email
                    info["email_verified"] = True
                return info

            def process_token(self, grant, response):
                token = super().process_token(grant, response)
                if provider.id_token_fault == "tampered":
                    token["id_token"] = _change_claim(token["id_token"], "sub", "admin-0001")
                return token

        server = AuthorizationServer(app, query_client=lambda cid: client if cid == CLIENT_ID else None)
        server.save_token = lambda token, request: None
        server.register_grant(CodeGrant, [IDToken(require_nonce=True), CodeChallenge(required=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(
                issuer=provider.issuer,
                authorization_endpoint=f"{provider.issuer}/authorize",
                token_endpoint=f"{provider.issuer}/token",
                jwks_uri=f"{provider.issuer}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                code_challenge_methods_supported=["S256"],
                token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
            )

        @app.get("/authorize")
        def authorize():
            # The person signed in at the provider a moment ago and approves at once.
            grant = server.get_consent_grant(end_user=provider.person)
            return server.create_authorization_response(grant=grant, grant_user=provider.person)

        @app.post("/token")
        def token():
            provider.token_requests += 1
            return server.create_token_response()

        @app.get("/jwks")
        def jwks():
            return jsonify(keys=[provider.key.as_dict(private=False)])

        return app


def _change_claim(id_token: str, name: str, value) -> str:
    """The same token with one claim changed and the old signature kept."""
    header, payload, signature = id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims[name] = value
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"
