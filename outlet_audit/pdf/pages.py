"""Pages that know how many there are: the inspection report's and the rectification notice's.

ReportLab draws a page before it knows the total, so the canvas keeps every page until the
document is complete and then gives each its running header and footer (`decorate`).
"""

from datetime import datetime

from reportlab.pdfgen.canvas import Canvas

from outlet_audit.pdf.fonts import pdf_date_formatter


class NumberedCanvas(Canvas):
    """A canvas whose pages are decorated at the end with their number and the total.

    `dated` (naive = Shanghai time) is the PDF's own date, so the same input gives the same bytes.
    """

    def __init__(self, *args, dated: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []
        self.setDateFormatter(pdf_date_formatter(dated))

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.decorate(number, total)
            super().showPage()
        super().save()

    def decorate(self, number: int, total: int) -> None:
        """Draw what every page carries (header, footer); the subclass knows what."""
        raise NotImplementedError
