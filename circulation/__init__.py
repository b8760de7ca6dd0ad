"""传阅 (circulation): passing a document or file to colleagues to read, with receipts."""
