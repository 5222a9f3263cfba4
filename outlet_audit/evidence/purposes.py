"""What a piece of evidence proves. Pure: imported by models, operations and pages alike.

The value is what `evidence.purpose` stores (and the audit trail's field for an application's
own files); being a StrEnum, a member compares equal to the stored text.
"""

import enum


class EvidencePurpose(enum.StrEnum):
    ITEM = "item"  # an answer of a checklist item (assessment and item code)
    COMMITMENT = "commitment"  # the signed commitment letter (承诺书) of the application
    RECTIFICATION = "rectification"  # the outlet's proof that it rectified what was asked
    SIGNATURE = "signature"  # a signature drawn on the checklist at sign-off
    STATEMENT = "statement"  # a document the outlet gives with its statement (陈述申辩) against a revocation
