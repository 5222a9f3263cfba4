"""A development signing chain for the tests, made once per session, and helpers to read signatures."""

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from outlet_audit.certificates.numbering import DISTRICT_CODES
from outlet_audit.certificates.signing.dev_chain import DevOrganisation, write_dev_chain


def reference_organisations() -> list[DevOrganisation]:
    """Every organisation migration 0012 makes, by code (the code stands in for the name here)."""
    codes = ["SH-postal", "SH-ecology"]
    for district in sorted(DISTRICT_CODES):
        codes += [f"{district}-postal", f"{district}-ecology"]
    return [DevOrganisation(code, f"{code} test signer") for code in codes]


@functools.cache
def signing_dir_for_tests() -> Path:
    """One chain for every app the session makes: EC P-256, about 40 ms for all organisations."""
    folder = Path(tempfile.mkdtemp(prefix="oa-test-signing-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    write_dev_chain(folder, reference_organisations())
    return folder
