"""PDF building blocks shared by the certificate, the inspection report and the rectification notice.
Imports no feature.

`fonts`: the fonts, text runs, markup and number/date formats every renderer prints with;
`official`: the look of the bureau's documents (colours, seal, heading) the certificate and the
notice share; `pages`: pages numbered "n of total"; `cache`: rendered PDFs kept on disk under a
fingerprint of their input; `responses`: the private download response. The renderers themselves
live with what they print: certificates/certificate_pdf.py, reports/report_pdf.py and
reports/notice_pdf.py.
"""
