"""Reports for the school and the bureau: figures, tables, CSV/XLSX/PDF files, signatures."""


class ExportError(Exception):
    """An export cannot be made (bad range, unwritable file, no Chinese font)."""

