"""`flask signing ...`: the issuing organisations' signing keys.

`dev-chain` makes a self-signed development chain (make run calls it); `status` says, for every
organisation, whether it can sign, and whether the folder holds a development chain.
"""

import datetime

import click
from cryptography import x509
from flask import current_app
from flask.cli import AppGroup

from outlet_audit.accounts.organisations import all_organisations
from outlet_audit.certificates.signing.dev_chain import (
    DEV_ORGANISATION,
    DevOrganisation,
    NotADevelopmentChain,
    write_dev_chain,
)
from outlet_audit.certificates.signing.keys import (
    ROOTS_FILE,
    SigningUnavailable,
    signing_dir,
    signing_key,
    trust_store,
)

signing_cli = AppGroup("signing", help="Signing keys of the organisations that issue certificates.")

DEV_WARNING = (
    "DEVELOPMENT signing chain in {folder}: self-signed, keys unprotected on disk. Certificates "
    "signed with it are NOT fit for production; install the organisations' real keys there."
)


@signing_cli.command("dev-chain")
@click.option("--force", is_flag=True, help="Also in the production configuration (a benchmark, a demo).")
def dev_chain(force: bool) -> None:
    """Make a self-signed development root and a signing key for every organisation without one."""
    if current_app.config["ENV_NAME"] == "production" and not force:
        raise click.ClickException(
            "refused: the production configuration signs with the organisations' real keys "
            "(README, production). --force makes a development chain anyway, e.g. for a benchmark."
        )
    folder = signing_dir()
    organisations = [DevOrganisation(o.code, o.name_zh) for o in all_organisations()]
    try:
        result = write_dev_chain(folder, organisations)
    except NotADevelopmentChain as error:  # make run goes on with the keys installed there
        click.echo(f"left as it is: {error}, so this folder holds a real chain (flask signing status)")
        return
    click.secho(DEV_WARNING.format(folder=folder), fg="yellow", err=True)
    click.echo(
        f"{'new' if result.root_created else 'kept the'} development root; "
        f"{len(result.created)} signing key(s) made, {len(result.kept)} kept, in {folder}"
    )


@signing_cli.command("status")
def status() -> None:
    """Say for every organisation whether it can sign, and until when its certificate runs."""
    folder = signing_dir()
    try:
        roots = trust_store().roots
    except SigningUnavailable:
        message = f"no trust roots: {folder / ROOTS_FILE} is missing or unreadable"
        raise click.ClickException(message) from None
    development = any(DEV_ORGANISATION in root.subject.human_friendly for root in roots)
    click.echo(f"{folder}: {len(roots)} trust root(s){' (DEVELOPMENT chain)' if development else ''}")
    missing = 0
    now = datetime.datetime.now(datetime.UTC)
    for organisation in all_organisations():
        try:
            key = signing_key(organisation)
        except SigningUnavailable as refusal:
            missing += 1
            click.echo(f"  {organisation.code:12} cannot sign: {refusal.message}")
            continue
        until = x509.load_der_x509_certificate(key.certificate.dump()).not_valid_after_utc
        note = " EXPIRED" if until < now else ""
        click.echo(f"  {organisation.code:12} {key.subject} (until {until:%Y-%m-%d}){note}")
    if missing:
        raise click.ClickException(f"{missing} organisation(s) cannot sign, so cannot issue certificates")
