"""The inspection's documents as PDFs: the inspection report (every inspection record of an
application in order, with its findings, the outlet's rectification and the verifications, then
the decision) and the rectification notice (整改通知书).

`data` and `notice_data` read what they print from the database, `report_pdf` and `notice_pdf`
lay it out (pure), `views` serves them. It sits above the certificates (it names the issuing
bureau) and the workflow (it prints the bureau's decision).
"""
