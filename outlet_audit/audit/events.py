"""What the audit trail says about each kind of event: the one registry of sentences.

Pure: no Flask, no database. An audit row's `action` picks its `EventType`; the type picks a
sentence template (English, marked with N_, translated where it is shown) by a variant of the
row (a first answer or a changed one, the workflow action of a transition...), names the filter
group the event belongs to and says how its old and new values are shown. `audit.display` fills
the templates in. tests/unit/test_audit_sentences.py fails when an action that the code records
has no type here, or a template has no Chinese translation.

Template parameters: %(actor)s (who did it, or “the system”), %(field)s (an outlet field, as
the profile form names it), %(item)s (a checklist item or a declaration: code and title),
%(old)s and %(new)s (the values as people read them elsewhere: 是/否, option labels, level and
status names, dates) and, for a renewal, %(reason)s (the certificate it renews).

Rows are never rewritten, so the registry also reads what older code recorded (`account_locked`,
reasons in their old English wording).
"""

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from outlet_audit.checklist.kinds import AssessmentKind, VisitType
from outlet_audit.evidence.purposes import EvidencePurpose
from outlet_audit.roles import Agency
from outlet_audit.text import N_


class Kind(enum.StrEnum):
    """The groups a reader can filter the history by."""

    DECISIONS = "decisions"
    ANSWERS = "answers"
    EVIDENCE = "evidence"
    PROFILE = "profile"
    ACCOUNTS = "accounts"


KIND_LABELS = {
    Kind.DECISIONS: N_("Applications and decisions"),
    Kind.ANSWERS: N_("Answers"),
    Kind.EVIDENCE: N_("Files and signatures"),
    Kind.PROFILE: N_("Outlet details"),
    Kind.ACCOUNTS: N_("Accounts and settings"),
}


class Shown(enum.StrEnum):
    """How an event's old and new values are shown."""

    TEXT = "text"  # as stored (names, numbers, file names, certificate numbers)
    STATUS = "status"  # an application status: its label
    LEVEL = "level"  # district / city: the level's name
    YES_NO = "yes_no"  # yes / no / true / false: 是 / 否
    ANSWER = "answer"  # a checklist answer: as the checklist shows it (option label, 96.5 %, 3 次)
    OUTLET_FIELD = "outlet_field"  # by the field: a district's name, 是/否, or the text
    DRAFT = "draft"  # by the field: the level applied for, or a declaration's 是/否
    DATE = "date"  # an ISO date: in the reader's form
    ACCOUNT = "account"  # "username (role)": the role's name
    SYSTEM_TEXT = "system_text"  # a text the code wrote in English: translated when known
    FINDING = "finding"  # a finding's status (closed, not closed): its label


class Row(Protocol):
    """What the registry reads of an audit row (audit.models.AuditEvent has it)."""

    field: str | None
    old_value: str | None
    new_value: str | None
    reason: str | None


def _always(_row: Row) -> str:
    return ""


@dataclass(frozen=True)
class EventType:
    kind: Kind
    sentences: Mapping[str, str]  # variant -> template; "" is the one used when no other fits
    shown: Shown = Shown.TEXT
    variant: Callable[[Row], str] = _always
    # Show "old → new" under the sentence (which then does not say the values itself), after
    # this label if there is one.
    show_change: bool = False
    change_label: str | None = None
    # The reason is written by the code, not typed by a person: shown translated (see
    # SYSTEM_TEXTS), never as "Why:". A reason a person typed is shown as typed.
    system_reason: bool = False
    visit: bool = False  # the field names a checklist, "self:..." or "inspection:...": one visit

    def sentence(self, row: Row) -> str:
        """The template for this row: its variant's, else its variant's first part's ("self" for
        "self:changed"), else the default."""
        variant = self.variant(row)
        for key in (variant, variant.partition(":")[0]):
            if key in self.sentences:
                return self.sentences[key]
        return self.sentences[""]


def assessment_kind(field_value: str | None) -> AssessmentKind | None:
    """The checklist a field such as "inspection:1.3" names (its kind before the colon), else None."""
    try:
        return AssessmentKind((field_value or "").partition(":")[0])
    except ValueError:
        return None


def field_code(field_value: str | None) -> str:
    """The item code (or signer) after the colon of "self:1.3"; "" when there is none."""
    return (field_value or "").partition(":")[2]


def _prefix(row: Row) -> str:
    return (row.field or "").partition(":")[0]


def _prefix_first_or_changed(row: Row) -> str:
    return _prefix(row) + (":changed" if row.old_value is not None else "")


def _renewal(row: Row) -> str:
    return "renewal" if row.reason else ""


def _signer(row: Row) -> str:
    return row.new_value or ""


def _outcome(row: Row) -> str:
    return row.new_value or ""


# The workflow's actions (workflow.states.Action values). An approval reads differently when it
# passes a city-level application on to the city bureau: that key is "approve>" + the new status.
TRANSITION_SENTENCES = {
    "": N_("%(actor)s changed the application's status"),
    "submit": N_("%(actor)s submitted the application"),
    "resubmit": N_("%(actor)s submitted the application again"),
    "withdraw": N_("%(actor)s withdrew the application"),
    "return": N_("%(actor)s returned the application for changes"),
    "accept": N_("%(actor)s accepted the application"),
    "reject": N_("%(actor)s decided not to certify the outlet"),
    "schedule_inspection": N_("%(actor)s scheduled the on-site inspection"),
    "reschedule_inspection": N_("%(actor)s rescheduled the on-site inspection"),
    "sign_off": N_("%(actor)s signed off the inspection checklist"),
    # A member of a team signed, and others of it have yet to: the application stays where it is.
    "sign_off>inspection_scheduled": N_(
        "%(actor)s signed the inspection; other inspectors of the team have yet to sign it"
    ),
    "sign_off>rectification_submitted": N_(
        "%(actor)s signed the re-inspection; other inspectors of the team have yet to sign it"
    ),
    "reopen_inspection": N_("%(actor)s reopened the inspection"),
    "request_rectification": N_("%(actor)s asked the outlet to rectify"),
    "submit_rectification": N_("%(actor)s submitted the rectification"),
    "approve": N_("%(actor)s certified the outlet"),
    "approve>awaiting_city_confirmation": N_(
        "%(actor)s approved the application and passed it to the city bureau for confirmation"
    ),
    # Before approval steps (migration 0012) the city bureau confirmed or declined in one act.
    "confirm_city_level": N_("%(actor)s confirmed the city level"),
    "decline_city_level": N_("%(actor)s declined the city level"),
    "approve>in_approval": N_("%(actor)s proposed the level and opened the approval"),
    "agree": N_("%(actor)s agreed at an approval step"),
    "agree>approved": N_("%(actor)s agreed at the last approval step: the outlet is certified"),
    "disagree": N_("%(actor)s disagreed at an approval step: the approval stopped"),
    "return_step": N_("%(actor)s returned the application to the district postal bureau"),
}


def _transition(row: Row) -> str:
    action = row.field or ""
    specific = f"{action}>{row.new_value}"
    return specific if specific in TRANSITION_SENTENCES else action


_CHECKLIST_FILE_SENTENCES = {
    "": N_("%(actor)s uploaded “%(new)s”"),
    EvidencePurpose.COMMITMENT: N_("%(actor)s uploaded the commitment letter “%(new)s”"),
    EvidencePurpose.RECTIFICATION: N_(
        "%(actor)s uploaded rectification evidence “%(new)s” for item %(item)s"
    ),
    AssessmentKind.SELF: N_("%(actor)s uploaded “%(new)s” for self-assessment item %(item)s"),
    AssessmentKind.INSPECTION: N_("%(actor)s uploaded “%(new)s” for inspection item %(item)s"),
}


def _outlet_field_change(sentence: str, *, system_reason: bool = False) -> EventType:
    """A change to one outlet field: the sentence names the field, "old → new" shows below it."""
    return EventType(
        Kind.PROFILE, {"": sentence}, shown=Shown.OUTLET_FIELD, show_change=True, system_reason=system_reason
    )


EVENT_TYPES: dict[str, EventType] = {
    # --- applications and decisions ---------------------------------------------------------
    "application_created": EventType(
        Kind.DECISIONS,
        {
            "": N_("%(actor)s opened an application for %(new)s"),
            "renewal": N_("%(actor)s opened an application for %(new)s to renew certificate %(reason)s"),
        },
        shown=Shown.LEVEL,
        variant=_renewal,
    ),
    "transition": EventType(
        Kind.DECISIONS,
        TRANSITION_SENTENCES,
        shown=Shown.STATUS,
        variant=_transition,
        show_change=True,
        change_label=N_("Status:"),
    ),
    "certificate_issued": EventType(Kind.DECISIONS, {"": N_("%(actor)s issued certificate %(new)s")}),
    "certificate_superseded": EventType(
        Kind.DECISIONS, {"": N_("Certificate %(old)s was replaced by certificate %(new)s")}
    ),
    "certificate_revoked": EventType(Kind.DECISIONS, {"": N_("%(actor)s revoked the certificate")}),
    # Its PDF signed with the issuer's key and kept (at issue, or at the first download of one
    # issued before signing existed): the hash the public verification page compares files with.
    "certificate_signed": EventType(
        Kind.DECISIONS, {"": N_("The certificate's PDF was digitally signed; its SHA-256 is %(new)s")}
    ),
    "revocation_proposed": EventType(
        Kind.DECISIONS, {"": N_("%(actor)s proposed that the issuing bureau revoke the certificate")}
    ),
    "revocation_proposal_decided": EventType(  # new: the outcome, revoked or declined
        Kind.DECISIONS,
        {
            "revoked": N_("%(actor)s decided on the proposal: the certificate is revoked"),
            "declined": N_("%(actor)s declined the proposal to revoke the certificate"),
            "": N_("%(actor)s decided on a proposal to revoke the certificate"),
        },
        variant=_outcome,
    ),
    # --- supervision after the certificate (outlet_audit.supervision) -------------------------
    "supervision_check_opened": EventType(  # field: the check's purpose; new: its number
        Kind.DECISIONS,
        {
            "spot_check": N_("%(actor)s drew the outlet for random spot check %(new)s"),
            "complaint": N_("%(actor)s opened visit %(new)s to check a complaint"),
            "targeted": N_("%(actor)s opened targeted visit %(new)s"),
            "": N_("%(actor)s opened supervision check %(new)s"),
        },
        variant=_prefix,
    ),
    # --- spot-check campaigns (outlet_audit.supervision.campaigns); new: the campaign's number ---
    "campaign_created": EventType(Kind.DECISIONS, {"": N_("%(actor)s planned spot-check campaign %(new)s")}),
    "campaign_drawn": EventType(  # field: how many outlets were drawn
        Kind.DECISIONS, {"": N_("%(actor)s drew the outlets and teams of spot-check campaign %(new)s")}
    ),
    "campaign_closed": EventType(
        Kind.DECISIONS, {"": N_("%(actor)s closed spot-check campaign %(new)s and published its results")}
    ),
    # --- revocation with prior notice (supervision/revocation_cases.py) ----------------------
    "revocation_noticed": EventType(  # field: the ground's code; new: the statement deadline
        Kind.DECISIONS,
        {
            "": N_(
                "%(actor)s served notice of intended revocation; the outlet may state its case until %(new)s"
            )
        },
        shown=Shown.DATE,
    ),
    "revocation_statement_given": EventType(  # new: the case's number; reason: the statement
        Kind.DECISIONS, {"": N_("%(actor)s stated the outlet's case against revocation %(new)s")}
    ),
    "revocation_decided": EventType(  # field: the ground's code; new: the outcome; reason: the reasons
        Kind.DECISIONS,
        {
            "revoked": N_("%(actor)s decided the revocation case: the certificate is revoked"),
            "not_revoked": N_("%(actor)s decided the revocation case: the certificate is not revoked"),
            "immediate": N_("%(actor)s revoked the certificate at once, on a ground that needs no notice"),
            "": N_("%(actor)s decided a revocation case"),
        },
        variant=_outcome,
    ),
    # --- supervision visits and their conclusions (supervision.visits, H-visits) ---------------
    "supervision_visit_signed": EventType(  # field: "member" or "last"; new: the check's number
        Kind.DECISIONS,
        {
            "last": N_("%(actor)s signed supervision visit %(new)s: the whole team has signed it"),
            "": N_("%(actor)s signed supervision visit %(new)s"),
        },
        variant=_prefix,
    ),
    "supervision_check_concluded": EventType(  # field: the new status; new: the check's number
        Kind.DECISIONS,
        {
            "passed": N_("%(actor)s concluded check %(new)s: passed"),
            "rectification": N_("%(actor)s concluded check %(new)s: rectification ordered"),
            "rectified": N_("%(actor)s accepted the rectification after check %(new)s"),
            "revocation": N_("%(actor)s concluded check %(new)s: revocation proposed"),
            "": N_("%(actor)s concluded check %(new)s"),
        },
        variant=_prefix,
    ),
    "supervision_rectification_sent": EventType(  # new: the notice's number
        Kind.ANSWERS,
        {"": N_("%(actor)s sent the answers to rectification notice %(new)s")},
    ),
    # --- yearly self-checks (outlet_audit.supervision.yearly); field: the year ---------------
    "yearly_self_check_created": EventType(  # new: its due date
        Kind.DECISIONS,
        {"": N_("The outlet's yearly self-check was opened, due on %(new)s")},
        shown=Shown.DATE,
    ),
    "yearly_self_check_reminder": EventType(
        Kind.DECISIONS,
        {"": N_("The outlet was reminded that its yearly self-check falls due on %(new)s")},
        shown=Shown.DATE,
    ),
    "yearly_self_check_submitted": EventType(  # new: its due date
        Kind.DECISIONS,
        {"": N_("%(actor)s submitted the yearly self-check due on %(new)s")},
        shown=Shown.DATE,
    ),
    "yearly_self_check_reviewed": EventType(  # new: accepted or failed; reason: why it failed
        Kind.DECISIONS,
        {
            "accepted": N_("%(actor)s accepted the yearly self-check"),
            "failed": N_("%(actor)s failed the yearly self-check"),
            "": N_("%(actor)s reviewed the yearly self-check"),
        },
        variant=_outcome,
    ),
    "yearly_self_check_visit": EventType(  # new: the targeted visit's number
        Kind.DECISIONS,
        {"": N_("%(actor)s opened targeted visit %(new)s from the yearly self-check")},
    ),
    # --- public complaints (outlet_audit.supervision.complaints) ------------------------------
    # Recorded under the complaint, not the outlet: new is its reference.
    "complaint_received": EventType(  # field: the category; no actor (the public)
        Kind.DECISIONS, {"": N_("Complaint %(new)s was received from the public")}
    ),
    "complaint_dismissed": EventType(Kind.DECISIONS, {"": N_("%(actor)s dismissed complaint %(new)s")}),
    "complaint_visit_opened": EventType(  # old: the complaint's reference; new: the visit's number
        Kind.DECISIONS, {"": N_("%(actor)s opened visit %(new)s to check complaint %(old)s")}
    ),
    "complaint_concluded": EventType(  # field: substantiated or not_substantiated
        Kind.DECISIONS,
        {
            "substantiated": N_("%(actor)s found complaint %(new)s substantiated"),
            "not_substantiated": N_("%(actor)s found complaint %(new)s not substantiated"),
            "": N_("%(actor)s recorded the outcome of complaint %(new)s"),
        },
        variant=_prefix,
    ),
    "rectification_reminder": EventType(
        Kind.DECISIONS,
        {"": N_("The outlet was reminded that its rectification falls due on %(new)s")},
        shown=Shown.DATE,
    ),
    "certificate_expiry_reminder": EventType(
        Kind.DECISIONS,
        {"": N_("The outlet was reminded that its certificate expires on %(new)s")},
        shown=Shown.DATE,
    ),
    # --- answers ----------------------------------------------------------------------------
    "draft_saved": EventType(
        Kind.ANSWERS,
        {
            "": N_("%(actor)s changed the application from %(old)s to %(new)s"),
            "target_level": N_("%(actor)s changed the level applied for from %(old)s to %(new)s"),
            "eligibility": N_("%(actor)s answered declaration %(item)s: %(new)s"),
            "eligibility:changed": N_(
                "%(actor)s changed the answer to declaration %(item)s from “%(old)s” to “%(new)s”"
            ),
        },
        shown=Shown.DRAFT,
        variant=_prefix_first_or_changed,
    ),
    "answer_saved": EventType(
        Kind.ANSWERS,
        {
            "": N_("%(actor)s answered item %(item)s: %(new)s"),
            AssessmentKind.SELF: N_("%(actor)s answered self-assessment item %(item)s: %(new)s"),
            f"{AssessmentKind.SELF}:changed": N_(
                "%(actor)s changed the answer to self-assessment item %(item)s from “%(old)s” to “%(new)s”"
            ),
            AssessmentKind.INSPECTION: N_("%(actor)s answered inspection item %(item)s: %(new)s"),
            f"{AssessmentKind.INSPECTION}:changed": N_(
                "%(actor)s changed the answer to inspection item %(item)s from “%(old)s” to “%(new)s”"
            ),
        },
        shown=Shown.ANSWER,
        variant=_prefix_first_or_changed,
        visit=True,
    ),
    # Each member's signature of an inspection record; the field names the member's agency.
    "inspection_signed": EventType(
        Kind.DECISIONS,
        {
            "": N_("%(actor)s signed inspection record %(new)s"),
            Agency.DISTRICT_POSTAL: N_(
                "%(actor)s signed inspection record %(new)s for the district postal bureau"
            ),
            Agency.DISTRICT_ECOLOGY: N_(
                "%(actor)s signed inspection record %(new)s for the district ecology and environment bureau"
            ),
        },
        variant=lambda row: field_code(row.field),
    ),
    "inspection_record_started": EventType(
        Kind.DECISIONS,
        {
            "": N_("A new inspection record was started from record %(old)s"),
            VisitType.REINSPECTION: N_(
                "The re-inspection started, filled in with the answers and photos of record %(old)s"
            ),
            "correction": N_("%(actor)s opened a correction of inspection record %(old)s: %(reason)s"),
        },
        variant=_prefix,
    ),
    # --- rectification item by item --------------------------------------------------------
    "finding_answered": EventType(
        Kind.ANSWERS, {"": N_("%(actor)s answered rectification item %(item)s: %(new)s")}
    ),
    "finding_checked": EventType(
        Kind.ANSWERS,
        {
            "": N_("%(actor)s verified rectification item %(item)s: %(new)s"),
        },
        shown=Shown.FINDING,
        variant=_prefix,
        visit=True,
    ),
    # --- files and signatures ---------------------------------------------------------------
    "evidence_uploaded": EventType(Kind.EVIDENCE, _CHECKLIST_FILE_SENTENCES, variant=_prefix, visit=True),
    # A marked copy of a photo (old: the original's file name, new: the copy's), kept beside it.
    "evidence_marked": EventType(
        Kind.EVIDENCE,
        {
            "": N_("%(actor)s added a marked copy of “%(old)s”"),
            AssessmentKind.SELF: N_(
                "%(actor)s added a marked copy of “%(old)s” to self-assessment item %(item)s"
            ),
            AssessmentKind.INSPECTION: N_(
                "%(actor)s added a marked copy of “%(old)s” to inspection item %(item)s"
            ),
        },
        variant=_prefix,
        visit=True,
    ),
    "evidence_deleted": EventType(
        Kind.EVIDENCE,
        {
            "": N_("%(actor)s removed “%(old)s”"),
            AssessmentKind.SELF: N_("%(actor)s removed “%(old)s” from self-assessment item %(item)s"),
            AssessmentKind.INSPECTION: N_("%(actor)s removed “%(old)s” from inspection item %(item)s"),
            EvidencePurpose.RECTIFICATION: N_(
                "%(actor)s removed “%(old)s” from the rectification of item %(item)s"
            ),
        },
        variant=_prefix,
        visit=True,
    ),
    "signature_added": EventType(
        Kind.EVIDENCE,
        {
            "": N_("%(actor)s added a signature"),
            "inspector": N_("%(actor)s signed the inspection checklist as inspector"),
            "outlet": N_("%(actor)s added the outlet representative's signature to the inspection checklist"),
        },
        variant=_signer,
        visit=True,
    ),
    # --- the outlet's details ---------------------------------------------------------------
    "outlet_registered": EventType(
        Kind.PROFILE, {"": N_("%(actor)s registered the outlet with permit or filing number %(new)s")}
    ),
    "outlet_verified": EventType(Kind.PROFILE, {"": N_("%(actor)s verified the outlet's details")}),
    "registration_refused": EventType(
        Kind.PROFILE, {"": N_("%(actor)s did not accept the outlet's registration")}
    ),
    "registration_resubmitted": EventType(
        Kind.PROFILE, {"": N_("%(actor)s corrected the outlet's registration and sent it again")}
    ),
    "outlet_imported": EventType(
        Kind.PROFILE,
        {"": N_("%(actor)s added the outlet by bulk import, permit or filing number %(new)s")},
        system_reason=True,
    ),
    "outlet_updated": _outlet_field_change(
        N_("%(actor)s changed %(field)s by bulk import"), system_reason=True
    ),
    "import_change_requested": _outlet_field_change(
        N_("%(actor)s's bulk import asked the district bureau to change %(field)s"), system_reason=True
    ),
    "profile_updated": _outlet_field_change(N_("%(actor)s changed %(field)s")),
    "profile_change_requested": _outlet_field_change(
        N_("%(actor)s asked the district bureau to change %(field)s")
    ),
    "profile_change_accepted": _outlet_field_change(N_("%(actor)s accepted the change to %(field)s")),
    "profile_change_rejected": _outlet_field_change(N_("%(actor)s did not accept the change to %(field)s")),
    "profile_change_withdrawn": _outlet_field_change(
        N_("%(actor)s took back the request to change %(field)s")
    ),
    # --- accounts and settings --------------------------------------------------------------
    "user_created": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s created the account %(new)s")}, shown=Shown.ACCOUNT
    ),
    "user_enabled": EventType(Kind.ACCOUNTS, {"": N_("%(actor)s enabled the account")}),
    "user_disabled": EventType(Kind.ACCOUNTS, {"": N_("%(actor)s disabled the account")}),
    "password_changed": EventType(Kind.ACCOUNTS, {"": N_("%(actor)s changed their password")}),
    "password_set": EventType(Kind.ACCOUNTS, {"": N_("%(actor)s set a new password for the account")}),
    "password_reset_requested": EventType(
        Kind.ACCOUNTS, {"": N_("A link to set a new password was mailed to the account, on request")}
    ),
    "password_reset_issued": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s had a link to set a new password mailed to the account")}
    ),
    "password_reset": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s set a new password with a link mailed to the account")}
    ),
    # A sign-in, and a refused one to a known account (accounts.operations); field: how, or why not.
    "signed_in": EventType(
        Kind.ACCOUNTS,
        {
            "": N_("%(actor)s signed in with the password"),
            "password+second_factor": N_("%(actor)s signed in with the password and a second factor"),
            "sso+second_factor": N_("%(actor)s signed in through single sign-on and a second factor"),
        },
        variant=lambda row: row.field or "",
    ),
    "second_factor_asked": EventType(  # the password was right; the sign-in waits for the code
        Kind.ACCOUNTS,
        {"": N_("The password of the account was right; its second factor was asked")},
    ),
    "sign_in_failed": EventType(
        Kind.ACCOUNTS,
        {
            "": N_("A sign-in to the account failed"),
            "password": N_("A sign-in to the account failed: wrong password"),
            "disabled": N_(
                "A sign-in to the account was refused: the account is disabled (the password was right)"
            ),
            "disabled_sso": N_(
                "A sign-in to the account was refused: the account is disabled (single sign-on identified it)"
            ),
            "second_factor": N_("A sign-in to the account failed: wrong second-factor code"),
        },
        variant=lambda row: row.field or "",
    ),
    "login_throttled": EventType(
        Kind.ACCOUNTS,
        {"": N_("Sign-in to the account was paused after repeated failed attempts")},
        system_reason=True,
    ),
    "account_locked": EventType(  # written by earlier versions, before sign-in waits replaced locks
        Kind.ACCOUNTS, {"": N_("The account was locked after repeated failed sign-ins")}, system_reason=True
    ),
    "account_unlocked": EventType(
        Kind.ACCOUNTS,
        {
            "": N_("%(actor)s ended the account's sign-in wait"),
            "after": N_("%(actor)s ended the account's sign-in wait after %(old)s"),
        },
        shown=Shown.SYSTEM_TEXT,
        variant=lambda row: "after" if row.old_value else "",
    ),
    "invitation_created": EventType(
        Kind.ACCOUNTS,
        {
            "": N_("%(actor)s invited the outlet's manager"),
            "staff": N_("%(actor)s invited a member of the outlet's staff"),
        },
        variant=lambda row: row.field or "",
    ),
    "invitation_sent": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s mailed an invitation with a new code to %(new)s")}
    ),
    "invitation_printed": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s printed an invitation letter with a new code")}
    ),
    "invitation_withdrawn": EventType(Kind.ACCOUNTS, {"": N_("%(actor)s withdrew an invitation")}),
    "invitation_accepted": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s accepted an invitation and created the account %(new)s")}
    ),
    "outlet_staff_removed": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s removed %(new)s from the outlet's staff")}
    ),
    "manager_handover_requested": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s asked to hand the outlet's management over to %(new)s")}
    ),
    "manager_handover_withdrawn": EventType(Kind.ACCOUNTS, {"": N_("%(actor)s withdrew the handover")}),
    "manager_handover_approved": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s approved the handover: %(new)s manages the outlet")}
    ),
    "manager_handover_refused": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s did not approve the handover to %(new)s")}
    ),
    "two_factor_enabled": EventType(Kind.ACCOUNTS, {"": N_("%(actor)s switched two-factor sign-in on")}),
    "two_factor_disabled": EventType(Kind.ACCOUNTS, {"": N_("%(actor)s switched two-factor sign-in off")}),
    "two_factor_reset": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s reset the account's second factor (a lost device)")}
    ),
    "recovery_code_used": EventType(Kind.ACCOUNTS, {"": N_("%(actor)s signed in with a recovery code")}),
    # #21 background jobs: new is the export's format, or the job's kind and id
    "export_requested": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s asked for a large export (%(new)s), prepared in the background")}
    ),
    "export_failed": EventType(
        Kind.ACCOUNTS, {"": N_("A large export (%(new)s) could not be prepared; its owner was told")}
    ),
    # An export downloaded, at once or from My exports (field: what was exported; new: its format;
    # old: the filters that applied, "district_id=3; brand=顺丰", or None: every record in scope).
    "export_downloaded": EventType(
        Kind.ACCOUNTS,
        {
            "": N_("%(actor)s downloaded an export (%(new)s)"),
            "applications": N_("%(actor)s downloaded the applications (%(new)s)"),
            "applications:filtered": N_(
                "%(actor)s downloaded the applications (%(new)s), filtered by %(old)s"
            ),
            "certificates": N_("%(actor)s downloaded the certificates (%(new)s)"),
            "certificates:filtered": N_(
                "%(actor)s downloaded the certificates (%(new)s), filtered by %(old)s"
            ),
            "inspections": N_("%(actor)s downloaded the inspection results (%(new)s)"),
            "inspections:filtered": N_(
                "%(actor)s downloaded the inspection results (%(new)s), filtered by %(old)s"
            ),
        },
        variant=lambda row: f"{row.field or ''}:{'filtered' if row.old_value else ''}",
    ),
    "job_retried": EventType(Kind.ACCOUNTS, {"": N_("%(actor)s retried the failed background job %(new)s")}),
    "job_discarded": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s discarded the failed background job %(new)s")}
    ),
    "recovery_codes_renewed": EventType(Kind.ACCOUNTS, {"": N_("%(actor)s made new recovery codes")}),
    # --- API tokens (outlet_audit.api.tokens); new: the token's name and organisation code ---
    "api_token_created": EventType(Kind.ACCOUNTS, {"": N_("%(actor)s made the API token %(new)s")}),
    "api_token_revoked": EventType(Kind.ACCOUNTS, {"": N_("%(actor)s revoked the API token %(new)s")}),
    "oidc_sign_in": EventType(
        Kind.ACCOUNTS,
        {
            "": N_("%(actor)s signed in through single sign-on"),
            "provider_second_factor": N_(
                "%(actor)s signed in through single sign-on, with the provider's second factor"
            ),
            # Our own code is asked next: signed_in "sso+second_factor" finishes it.
            "second_factor_asked": N_("Single sign-on identified the account; its second factor was asked"),
        },
        variant=lambda row: row.field or "",
    ),
    "oidc_linked": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s linked the single sign-on identity %(new)s to the account")}
    ),
    "oidc_unlinked": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s unlinked the single sign-on identity %(old)s from the account")}
    ),
    "criteria_edition_activated": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s chose edition %(new)s of the criteria for new applications")}
    ),
    "criteria_edition_scheduled": EventType(  # field: "active_edition from <the day>"
        Kind.ACCOUNTS, {"": N_("%(actor)s scheduled edition %(new)s of the criteria for new applications")}
    ),
    "criteria_edition_schedule_withdrawn": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s withdrew the scheduled criteria edition %(old)s")}
    ),
    "criteria_notice_sent": EventType(  # `flask criteria remind`; new: the edition and its end
        Kind.ACCOUNTS, {"": N_("The administrators were told of the end of criteria edition %(new)s")}
    ),
    # --- webhooks (#21): field-free; old/new: "URL [events] on|off" -------------------------
    "webhook_endpoint_created": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s added the webhook endpoint %(new)s")}
    ),
    "webhook_endpoint_changed": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s changed the webhook endpoint from %(old)s to %(new)s")}
    ),
    "webhook_endpoint_deleted": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s deleted the webhook endpoint %(old)s")}
    ),
    "webhook_secret_rotated": EventType(
        Kind.ACCOUNTS, {"": N_("%(actor)s made a new secret for the webhook endpoint %(new)s")}
    ),
    "criteria_edition_saved": EventType(  # a draft uploaded and accepted; field: the file; new: id and hash
        Kind.ACCOUNTS, {"": N_("%(actor)s saved criteria edition %(new)s into the criteria folder")}
    ),
}

# Said of an action no version of the code recorded (a row written by hand, say): never raw.
UNKNOWN_EVENT = EventType(Kind.DECISIONS, {"": N_("%(actor)s recorded an event")})


def event_type(action: str) -> EventType:
    return EVENT_TYPES.get(action, UNKNOWN_EVENT)


# --- texts the code writes in English into reasons and values --------------------------------


@dataclass(frozen=True)
class SystemText:
    """A text the code writes in English, and what readers see instead.

    `written` is the exact form the code writes, with {name} for each part that varies; `shown`
    the N_ template that replaces it, with %(name)s. `tokens` are parts too long to read (a
    file's sha256): they are shortened on the page, the whole value one tap or hover away.
    """

    written: str
    shown: str
    tokens: frozenset[str] = field(default_factory=frozenset)

    @cached_property
    def pattern(self) -> re.Pattern:
        parts = re.split(r"\{(\w+)\}", self.written)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else rf"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        return re.compile(regex, re.DOTALL)

    def read(self, text: str) -> dict[str, str] | None:
        """The varying parts of `text` if it is this text, else None."""
        match = self.pattern.fullmatch(text)
        return match.groupdict() if match else None


SYSTEM_TEXTS = (
    SystemText(
        "bulk import, file sha256 {sha256}",
        N_("From the bulk import of the file with SHA-256 %(sha256)s"),
        frozenset({"sha256"}),
    ),
    SystemText("{count} failed sign-ins in a row", N_("%(count)s failed sign-ins in a row")),
    SystemText("{count} failed sign-ins", N_("%(count)s failed sign-ins")),
    SystemText("{count} failed logins", N_("%(count)s failed sign-ins")),  # earlier versions' wording
)


def system_text(text: str) -> tuple[SystemText, dict[str, str]] | None:
    """The known system text `text` is, with its parts; None for anything else."""
    for known in SYSTEM_TEXTS:
        params = known.read(text)
        if params is not None:
            return known, params
    return None
