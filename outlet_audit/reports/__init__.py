"""The inspection report: the whole scored checklist of one application as a PDF.

`data` reads what the report prints from the database, `report_pdf` lays it out (pure),
`views` serves it. It sits above the certificates (it names the issuing bureau) and the
workflow (it prints the bureau's decision).
"""
