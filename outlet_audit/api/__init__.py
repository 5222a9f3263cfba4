"""The read API for other government systems (/api/v1/): certificates, outlets and published
spot-check campaigns as versioned JSON, with per-organisation tokens.

Without a token an endpoint answers exactly what the public pages show (the verification page,
the directory, /spot-checks). A token belongs to one organisation and carries scopes
(`scopes.TokenScope`); it reads the same three resources within its organisation's reach (its
district, or every district for a city organisation), adding what the public does not see:
certificates in every state and their exact times. See `docs.html` (served at /api/v1/docs).
"""
