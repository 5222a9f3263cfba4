"""An inspector on a phone opens a photo full screen, zooms in, circles the problem and writes a word
on it, and saves: the marked copy is stored beside the original, which is unchanged. The same photo
chosen again is flagged on both cards; Esc closes the viewer."""

import io

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import select

from outlet_audit.checklist.attachments import attach_item_evidence
from outlet_audit.checklist.models import Assessment
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.workflow.models import Application
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def hall_photo() -> bytes:
    """A grey floor with a wide brown tape roll on it: something to circle."""
    picture = Image.new("RGB", (1200, 900), (150, 150, 145))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 600, 1200, 900), fill=(110, 105, 100))
    draw.ellipse((480, 330, 760, 610), fill=(160, 110, 60), outline=(90, 60, 30), width=12)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def photographed(live_server, request):
    """test_offline's inspection of tomorrow for the second Fengxian inspector, with a photo on item 1.1."""

    assessment_id = request.getfixturevalue("inspection")

    def seed():
        assessment = db.session.get(Assessment, assessment_id)
        application = db.session.get(Application, assessment.application_id)
        original = attach_item_evidence(
            assessment, application, pinned_edition(application.edition), "1.1", hall_photo(), "IMG_2031.jpg",
            application.inspectors[0],
        )  # fmt: skip
        db.session.commit()
        return assessment.id, original.id, original.stored_sha256

    with live_server.app.test_request_context():
        return live_server.query(seed)


def test_an_inspector_zooms_marks_a_photo_and_keeps_the_original(
    new_context, live_server, photographed, shoot, no_server_errors, signal
):
    assessment_id, original_id, original_sha = photographed
    page = sign_in(new_context(phone=True), live_server.users["second_inspector"])
    page.goto(f"/checklist/{assessment_id}#item-1.1")
    viewer = page.locator("#photo-viewer")
    thumbnail = page.locator(f'[data-photo-id="{original_id}"]')

    thumbnail.click()
    expect(viewer).to_be_visible()
    expect(viewer.get_by_role("button", name="关闭")).to_be_focused()
    expect(viewer).to_have_attribute("data-zoom", "1.00")  # the whole photo, once it has loaded
    viewer.get_by_role("button", name="放大").click()
    expect(viewer).to_have_attribute("data-zoom", "1.50")
    viewer.get_by_role("button", name="全图").click()

    viewer.get_by_role("button", name="标出问题").click()
    expect(viewer).to_have_attribute("data-mode", "mark")
    box = viewer.locator("[data-pv-stage]").bounding_box()
    middle_x, middle_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(middle_x - 60, middle_y - 50)
    page.mouse.down()
    page.mouse.move(middle_x + 10, middle_y + 10, steps=4)
    page.mouse.move(middle_x + 70, middle_y + 60, steps=4)
    page.mouse.up()
    viewer.get_by_role("button", name="文字").click()
    viewer.get_by_label("先输入文字").fill("胶带过宽")
    page.mouse.click(middle_x - 120, middle_y + 100)
    expect(viewer).to_have_attribute("data-marks", "2")
    shoot(page, "marked")
    viewer.get_by_role("button", name="保存标记副本").click()

    copy_card = page.locator(f'.evidence-card[data-annotates-id="{original_id}"]')
    expect(copy_card).to_contain_text(f"照片 {original_id} 的标记副本")
    expect(viewer).to_be_hidden()
    shoot(page, "saved")
    copy = live_server.query(
        lambda: db.session.scalar(select(Evidence).where(Evidence.annotates_id == original_id))
    )
    original = live_server.query(lambda: db.session.get(Evidence, original_id))
    assert copy is not None and copy.item_code == "1.1" and copy.stored_sha256 != original_sha
    assert original.stored_sha256 == original_sha
    # the copy sits right after its original on the page
    expect(
        page.locator(f'#evidence-{original_id} + .evidence-card[data-annotates-id="{original_id}"]')
    ).to_have_count(1)

    # the same photo chosen again: kept, and both cards say so
    page.locator('[data-item-code="1.1"] input[data-evidence-input][multiple]').set_input_files(
        files=[{"name": "IMG_2031.jpg", "mimeType": "image/jpeg", "buffer": hall_photo()}]
    )
    expect(page.locator(f'.evidence-card[data-duplicate-of="{original_id}"]')).to_contain_text(
        f"与照片 {original_id} 是同一文件"
    )
    expect(page.locator(f"#evidence-{original_id} [data-duplicate-flag]")).to_contain_text("是同一文件")
    page.once("dialog", lambda dialog: dialog.accept())  # "delete this file?"
    page.locator(f'.evidence-card[data-duplicate-of="{original_id}"] [data-delete-url]').click()
    expect(page.locator(f"#evidence-{original_id} [data-duplicate-flag]")).to_have_count(0)

    copy_card.locator("[data-photo-full-url]").click()
    expect(viewer).to_be_visible()
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(copy_card.locator("[data-photo-full-url]")).to_be_focused()

    page.reload()  # a new page: the photo is in no memory of it
    expect(thumbnail.locator("img")).to_have_js_property("complete", True)
    signal(page.context, False)  # the photo itself is not on the phone: its thumbnail is shown, said so
    thumbnail.click()
    expect(viewer.locator("[data-pv-status]")).to_have_text("网络未连接：仅显示本机保存的小图。")
    expect(viewer).to_have_attribute("data-zoom", "1.00")
    expect(viewer.locator("[data-pv-mark]")).to_be_hidden()


def test_a_photo_still_waiting_on_the_phone_is_marked_and_the_copy_points_at_it_after_a_reload(
    new_context, live_server, inspection, shoot, no_server_errors, signal
):
    context = new_context(phone=True)
    page = sign_in(context, live_server.users["second_inspector"])
    page.goto(f"/checklist/{inspection}#item-1.1")
    item = page.locator('[data-item-code="1.1"]')
    signal(context, False)
    item.locator("input[data-evidence-input][multiple]").set_input_files(
        files=[{"name": "hall.jpg", "mimeType": "image/jpeg", "buffer": hall_photo()}]
    )
    item.locator(".queued-file [data-photo-full-url]").click()  # waiting, and still opens full screen
    viewer = page.locator("#photo-viewer")
    viewer.locator("[data-pv-mark]").click()
    box = viewer.locator("[data-pv-stage]").bounding_box()
    middle_x, middle_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(middle_x - 40, middle_y - 30)
    page.mouse.down()
    page.mouse.move(middle_x + 40, middle_y + 30, steps=4)
    page.mouse.up()
    shoot(page, "waiting-photo-marked-offline")
    viewer.locator("[data-pv-save]").click()
    expect(item.locator(".queued-file")).to_have_count(2)
    shoot(page, "marked-copy-waiting")

    # Online, the original goes out; the page is closed before its marked copy could follow.
    sent = []

    def original_only(route):
        if sent:
            return route.abort()
        sent.append(route.request.url)
        return route.continue_()

    page.route("**/evidence/assessments/*/upload", original_only)
    signal(context, True)
    expect(item.locator("[data-evidence-id]")).to_have_count(1)
    expect(item.locator(".queued-file")).to_have_count(1)
    page.close()

    page = context.new_page()
    page.goto(f"/checklist/{inspection}")  # the copy goes out, pointing at the original
    expect(page.locator("#save-banner")).to_have_attribute("data-loaded", "true")  # the phone's queue is read
    expect(page.locator('[data-item-code="1.1"] [data-evidence-id]')).to_have_count(2)
    expect(page.locator('[data-item-code="1.1"] .queued-file')).to_have_count(0)
    original, copy = live_server.query(
        lambda: [
            (e.id, e.annotates_id)
            for e in db.session.scalars(
                select(Evidence).where(Evidence.assessment_id == inspection).order_by(Evidence.id)
            )
        ]
    )
    assert copy == (copy[0], original[0]) and original[1] is None
