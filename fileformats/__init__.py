"""What a file holds and what it is called, read the same way by every feature: names, text, office
conversion, tables.

A leaf package: it imports nothing of eoffice, so the archive (indexer), printing and the web app can
all use it without import cycles.
"""
