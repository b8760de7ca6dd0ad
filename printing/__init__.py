"""Two-tier printing: pure routing, document preparation, backends (CUPS, spool folder), the dispatcher.

Other features print through `printing.service.request_print()`; only `printing.cups_backend` imports pycups.
"""
