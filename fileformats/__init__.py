"""What a file holds, read the same way by every feature: text decoding shared by the archive and printing.

A leaf package: it imports nothing of eoffice, so the archive (indexer), printing and the web app can
all use it without import cycles.
"""
