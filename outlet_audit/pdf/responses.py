"""The one way a generated PDF leaves the application: a private download."""

from io import BytesIO

from flask import send_file


def pdf_download(pdf: bytes, filename: str):
    response = send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=filename)
    # Private records: never kept by shared caches, always fetched fresh.
    response.headers["Cache-Control"] = "private, no-store"
    return response
