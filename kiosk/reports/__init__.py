"""Reports for the school and the bureau: figures, tables, CSV/XLSX/PDF files, signatures."""
