"""Certificates: numbering, issuing and revoking, which are valid today (queries), the certificate PDF
and the public verification pages."""
