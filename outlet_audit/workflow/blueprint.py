"""The workflow's blueprint and who may open an application: what every workflow view module starts from.

The view modules (`views`, `views_lists`, `views_outlet`) add their routes to `bp`; `views`
imports the other two, so registering `workflow.views.bp` registers every workflow page.
"""

from flask import Blueprint

from outlet_audit.access import Scope
from outlet_audit.roles import Role

bp = Blueprint("workflow", __name__, url_prefix="/applications")

# Who may open an application, and how far: the state machine then says what each may do.
APPLICATION_READERS = {
    Role.OUTLET: Scope.OWN_OUTLET,
    Role.INSPECTOR: Scope.ASSIGNED,
    Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT,
    Role.CITY_BUREAU: Scope.ALL,
}
