"""PDF building blocks shared by the certificate and the inspection report. Imports no feature.

`fonts`: the fonts, text runs, markup and number/date formats both renderers print with;
`cache`: rendered PDFs kept on disk under a fingerprint of their input; `responses`: the
private download response. The renderers themselves live with what they print:
certificates/certificate_pdf.py and reports/report_pdf.py.
"""
