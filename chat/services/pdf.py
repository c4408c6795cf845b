"""PDF documents drawn server-side with fpdf2 (no browser): A4, DejaVu Sans so any name
prints, and a few text helpers. Recaps and CPD certificates are built with these."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).resolve().parent.parent / "fonts"
FAMILY = "DejaVu"


class Document(FPDF):
    """An A4 page flow with the app's font, titled for PDF readers."""

    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_title(title)
        self.set_creator("TraineeTalk Live")
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(auto=True, margin=20)
        self.add_page()

    def heading(self, text: str, size: int = 18) -> None:
        """A bold line (wrapping if long), with space after it."""
        self.set_font(FAMILY, "B", size)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(size * 0.2)

    def paragraph(self, text: str, size: int = 11, bold: bool = False) -> None:
        """Plain text that wraps at the margins, with a little space after it."""
        self.set_font(FAMILY, "B" if bold else "", size)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(size * 0.15)

    def to_bytes(self) -> bytes:
        """The finished PDF file."""
        return bytes(self.output())
