"""Document routing pages (发文, 收文, 签报)."""
