"""PDFs open in a PDF reader (pypdf parses them) and carry their text, in any script."""

from __future__ import annotations

import io

from pypdf import PdfReader

from chat.services.pdf import Document


def test_a_document_parses_and_keeps_its_text_and_title() -> None:
    doc = Document("Certificate for Zoë Łukaszewicz")
    doc.heading("Certificate of attendance")
    doc.paragraph("Zoë Łukaszewicz attended “Working with endings”. " * 20)
    reader = PdfReader(io.BytesIO(doc.to_bytes()))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Certificate of attendance" in text
    assert "Zoë Łukaszewicz attended" in text
    assert reader.metadata.title == "Certificate for Zoë Łukaszewicz"
