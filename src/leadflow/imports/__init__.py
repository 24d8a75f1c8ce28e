"""File imports: contacts, accounts and leads from CSV and XLSX, matched, resumable, undoable."""
