"""What the offline checklist relies on from the server: the service worker script at a scope
covering the app, and an upload reply naming the hash of the bytes the server holds."""

import hashlib
import io

from tests.checklist_helpers import Inspection, photo
from tests.factories import login


def test_the_service_worker_is_served_to_anyone_for_the_whole_app(client):
    response = client.get("/checklist/sw.js")
    assert response.status_code == 200
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.mimetype == "text/javascript"
    assert "no-cache" in response.headers["Cache-Control"]
    assert b'addEventListener("fetch"' in response.data


def test_the_upload_reply_names_the_hash_of_the_bytes_received(client, ctx):
    inspection = Inspection()
    login(client, inspection.inspector)
    data = photo()
    response = client.post(
        inspection.upload_url,
        data={
            "item_code": "1.1",
            "file": (io.BytesIO(data), "shelf.jpg"),
            "client_sha256": hashlib.sha256(data).hexdigest().upper(),  # the phone's hex, either case
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200, response.get_json()
    [evidence] = response.get_json()["evidence"]
    assert evidence["original_sha256"] == hashlib.sha256(data).hexdigest()
