"""The service worker that lets an inspector open prepared checklists without a connection.

Served from /checklist/sw.js with `Service-Worker-Allowed: /` so that its scope is the whole
app: it must see the sign-out (to forget the pages it keeps for the user) and the assets every
page loads, not only the checklist pages. Public: the browser re-fetches the script to look for
updates also when nobody is signed in, and the script holds nothing of anyone's.
"""

from flask import current_app, send_from_directory

from outlet_audit.access import public
from outlet_audit.checklist.blueprint import bp


@bp.get("/sw.js")
@public
def service_worker():
    response = send_from_directory(
        current_app.static_folder, "js/sw.js", mimetype="text/javascript", max_age=0
    )
    response.headers["Service-Worker-Allowed"] = "/"
    response.cache_control.no_cache = True  # a new version reaches phones at their next visit
    return response
