"""Certificates: numbering, the certificate PDF and the inspection report PDF."""
