"""One term per idea (outlet_audit/translations/GLOSSARY.md): the catalog, the criteria editions and
the Chinese written in the code use the glossary's terms, mainland quotation marks and full-width
punctuation between Chinese characters."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "outlet_audit" / "translations" / "GLOSSARY.md"
CATALOG = ROOT / "outlet_audit" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
CJK = r"[\u4e00-\u9fff]"
ASCII_BETWEEN = re.compile(rf"{CJK}\s*[,;:()]\s*{CJK}|{CJK}\(|\){CJK}")
# Kept on purpose: an import column alias, so that files made from the old template still import.
ALLOWED = {("outlet_audit/outlets/outlet_import.py", "所属区")}


def avoided_terms() -> dict[str, str]:
    """Avoided form -> the term to use, from the glossary's table."""
    avoided = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("Use", "---") or set(cells[0]) <= {"-"}:
            continue
        for form in cells[2].split(","):
            avoided[form.strip()] = cells[0]
    return avoided


def chinese_texts() -> list[tuple[str, str]]:
    """(where, text) for every Chinese text the application writes."""
    texts = []
    with CATALOG.open("rb") as f:
        for message in read_po(f):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            texts += [(f"catalog: {message.id!r}", text) for text in strings if text]
    for path in sorted((ROOT / "criteria").glob("*.yaml")):
        texts.append((str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")))
    for path in sorted((ROOT / "outlet_audit").rglob("*")):
        if path.suffix in (".py", ".html") and "translations" not in path.parts:
            texts.append((str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")))
    return texts


def test_the_glossary_has_terms():
    avoided = avoided_terms()
    assert avoided["申报等级"] == "申报级别" and "「" in avoided and len(avoided) >= 8


def test_no_avoided_term_is_written_anywhere():
    found = [
        f"{where}: {form} (use {use})"
        for where, text in chinese_texts()
        for form, use in avoided_terms().items()
        if form in text and (where, form) not in ALLOWED
    ]
    assert found == []


def test_punctuation_between_chinese_characters_is_full_width_in_the_catalog_and_editions():
    found = [
        f"{where}: {match.group()!r}"
        for where, text in chinese_texts()
        if where.startswith(("catalog", "criteria"))
        for match in ASCII_BETWEEN.finditer(text)
    ]
    assert found == []
