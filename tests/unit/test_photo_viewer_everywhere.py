"""Every page that shows photo thumbnails opens them in the full-screen viewer (zoom, pan), not only
the checklist: a page that shows photos without including `evidence/_photo_viewer.html` would
leave its thumbnails as bare links (the yearly self-check review did)."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "outlet_audit" / "templates"
VIEWER = "evidence/_photo_viewer.html"
# What puts a photo thumbnail on a page: the thumbnail URL, or a call of a macro that renders one
# (evidence_card, evidence_thumbs, and every macro that calls them: found, not listed).
THUMBNAIL = "evidence.thumbnail"
# Pages that call such a macro with no files ever: the reason is the exemption.
NEVER_FILES = {"criteria/preview.html": "a draft edition's form, rendered with no record and so no files"}
MACRO = re.compile(r"{%-?\s*macro\s+(\w+)\(.*?{%-?\s*endmacro\s*-?%}", re.DOTALL)
INCLUDE = re.compile(r"""{%-?\s*include\s+["']([^"']+)["']""")
EXTENDS = re.compile(r"""{%-?\s*extends\s+["']([^"']+)["']""")


def _text(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def photo_macros() -> set[str]:
    bodies = {}
    for path in TEMPLATES.rglob("*.html"):
        for match in MACRO.finditer(path.read_text(encoding="utf-8")):
            bodies[match.group(1)] = match.group(0)
    found: set[str] = set()
    while True:
        more = {
            name
            for name, body in bodies.items()
            if name not in found
            and (THUMBNAIL in body or any(re.search(rf"\b{other}\(", body) for other in found))
        }
        if not more:
            return found
        found |= more


def shows_photos(name: str, macros: set[str], seen=frozenset()) -> bool:
    if name in seen or name == VIEWER:
        return False
    text = MACRO.sub("", _text(name))  # a macro's definition shows nothing until called
    if THUMBNAIL in text or any(re.search(rf"\b{macro}\(", text) for macro in macros):
        return True
    return any(shows_photos(included, macros, seen | {name}) for included in INCLUDE.findall(text))


def offers_viewer(name: str) -> bool:
    text = _text(name)
    if VIEWER in INCLUDE.findall(text):
        return True
    parent = EXTENDS.findall(text)
    return bool(parent) and offers_viewer(parent[0])


def pages() -> list[str]:
    return sorted(
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if not path.name.startswith("_") and path.name != "base.html"
    )


def test_every_page_that_shows_photos_offers_the_viewer():
    macros = photo_macros()
    assert {"evidence_card", "evidence_thumbs", "checklist_item", "record_section"} <= macros
    showing = [name for name in pages() if shows_photos(name, macros)]
    assert "supervision/yearly_review.html" in showing and "checklist/edit.html" in showing
    assert [name for name in showing if not offers_viewer(name) and name not in NEVER_FILES] == []


def test_the_rule_sees_a_page_without_the_viewer():
    assert not offers_viewer("supervision/yearly_list.html")
    assert shows_photos("checklist/result.html", photo_macros())  # through record_section's cards
    assert not shows_photos("supervision/yearly_list.html", photo_macros())
