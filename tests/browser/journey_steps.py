"""What people do on the pages, as Playwright steps the journeys share.

Selectors use names, ids, values and data-* hooks, never visible text: the pages are in
Chinese by default and their words change with the catalogs.
"""

from datetime import timedelta
from pathlib import Path

from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from outlet_audit.checklist.forms import FIELD_BUILDERS
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.scoring import Answer, evidence_required
from tests.workflow_helpers import best_value, worst_value

COLOURS = ("seagreen", "steelblue", "darkorange", "slateblue", "firebrick", "goldenrod", "teal", "orchid")


def make_photo(folder: Path, name: str, seed: int) -> Path:
    """A JPEG a phone might take: a shelf of parcels, more or less."""
    image = Image.new("RGB", (480, 360), COLOURS[seed % len(COLOURS)])
    for row in range(3):
        for column in range(4):
            box = Image.new("RGB", (90, 70), (200 - 20 * row, 170 + 10 * column, 120))
            image.paste(box, (20 + 115 * column, 30 + 110 * row))
    path = folder / f"{name}.jpg"
    image.save(path, "JPEG", quality=85)
    return path


def answer_text(item, value) -> str:
    """What the browser sends for an engine value: yes/no, an option code, a number."""
    return FIELD_BUILDERS[item.answer.type].to_text(value)


def full_marks(edition, short_of=()) -> dict:
    """The engine value of every scored item: full marks, or the worst answer for `short_of`."""
    return {
        item.code: worst_value(item) if item.code in short_of else best_value(item)
        for item in edition.items()
    }


def answer_item(page, item, value) -> None:
    element = page.locator(f'[data-item-code="{item.code}"]')
    text = answer_text(item, value)
    radio = element.locator(f'input[type="radio"][name$="-value"][value="{text}"]')
    if radio.count():
        element.locator(f'label[for="{radio.get_attribute("id")}"]').click()  # the input itself is hidden
    else:
        box = element.locator('input[name$="-value"]')
        box.fill(text)
        box.press("Tab")  # "change" fires on leaving the field; the page saves then


def attach_photo(page, item, photo: Path, *, camera: bool) -> None:
    """Attach through the evidence button (the phone's camera) or the plain file input."""
    element = page.locator(f'[data-item-code="{item.code}"]')
    if camera:
        button = element.locator("label.evidence-pick").first
        for attempt in range(3):
            try:
                with page.expect_file_chooser(timeout=5000) as chooser:
                    button.click()
                break
            except PlaywrightTimeoutError:
                # The thumbnail of the photo just sent can load above and move the button between
                # Playwright's aim and its click (a CI run's click landed beside it); aim again.
                if attempt == 2:
                    raise
        chooser.value.set_files(str(photo))
    else:
        element.locator("input[data-evidence-input]").last.set_input_files(str(photo))


def fill_checklist(page, edition, values: dict, photos: list[Path], *, camera: bool = False) -> None:
    """Answer the given items and attach a photo wherever the answer needs evidence; wait until saved."""
    items = [item for item in edition.items() if item.code in values]
    for index, item in enumerate(items):
        answer_item(page, item, values[item.code])
        if evidence_required(item, Answer(values[item.code])):
            attach_photo(page, item, photos[index % len(photos)], camera=camera)
    for item in items:
        element = page.locator(f'[data-item-code="{item.code}"]')
        expect(element).to_have_attribute("data-answered", "true")
        expect(element).to_have_attribute("data-save-state", "saved")
        if evidence_required(item, Answer(values[item.code])):
            expect(element).to_have_attribute("data-evidence-missing", "false")
    expect(page.locator("#save-banner")).to_have_attribute("data-state", "saved")


def act(page, action: str, **fields) -> None:
    """Press an action's button on the application page, filling its form first if it has one."""
    form = page.locator(f"#action-{action}")
    if form.count():
        form.locator("summary").click()
        for name, value in fields.items():
            control = form.locator(f'[name="{action}-{name}"]')
            kind = control.first.get_attribute("type")
            if kind == "checkbox":
                for one in value:
                    form.locator(f'[name="{action}-{name}"][value="{one}"]').check()
            elif kind == "file":
                control.set_input_files([str(path) for path in value])
            elif control.first.evaluate("node => node.tagName") == "SELECT":
                control.select_option(value)
            else:
                control.fill(value)
        button = form.locator(f'button[name="action"][value="{action}"]')
    else:
        button = page.locator(f'button[name="action"][value="{action}"]')
    with page.expect_navigation():
        button.click()


def in_days(days: int) -> str:
    return (today_in_shanghai() + timedelta(days=days)).isoformat()


def sign_off(page, *, draw_signature: bool) -> None:
    """On the checklist: go to sign-off, sign with a finger if asked, confirm, lock."""
    page.locator("a.bar-signoff").click()
    page.wait_for_url("**/sign-off")
    if draw_signature:
        pad = page.locator('[data-signature-pad="inspector"]')
        pad.scroll_into_view_if_needed()  # below the summary of the items short of full marks
        box = pad.locator("canvas").bounding_box()
        page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
        page.mouse.down()
        for step in range(1, 12):
            page.mouse.move(
                box["x"] + 20 + step * 20, box["y"] + box["height"] / 2 + (15 if step % 2 else -15)
            )
        page.mouse.up()
        expect(pad).to_have_attribute("data-signed", "true")
    page.check("#confirm")
    with page.expect_navigation():
        page.locator("#sign-off-form button[type=submit]").click()
