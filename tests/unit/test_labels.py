"""One label map per enum: every member named once, and the names documents print agree with the catalog."""

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from outlet_audit.checklist.kinds import ASSESSMENT_KIND_LABELS, AssessmentKind
from outlet_audit.workflow.states import LEVEL_LABELS, Level

CATALOG = Path(__file__).resolve().parents[2] / "outlet_audit/translations/zh_Hans_CN/LC_MESSAGES/messages.po"


@pytest.fixture(scope="module")
def chinese():
    with CATALOG.open("rb") as f:
        return {message.id: message.string for message in read_po(f) if message.id}


@pytest.mark.parametrize(
    ("enum", "labels"), [(Level, LEVEL_LABELS), (AssessmentKind, ASSESSMENT_KIND_LABELS)]
)
def test_every_member_has_exactly_one_label(enum, labels):
    assert set(labels) == set(enum)


@pytest.mark.parametrize("level", list(Level))
def test_documents_print_the_names_the_screen_shows(level, chinese):
    label = LEVEL_LABELS[level]
    # Certificates, reports, exports and the commitment letter print `zh` and `en` whatever the
    # reader's language; pages translate `text`. They must stay one name.
    assert chinese[label.text] == label.zh
    assert label.en.lower() == label.text.lower()


@pytest.mark.parametrize("kind", list(AssessmentKind))
def test_kind_labels_are_translated(kind, chinese):
    assert chinese[ASSESSMENT_KIND_LABELS[kind]]
