"""政务信息报送 (government information reporting): units submit items, the office reviews, adopts them
into its publications and records adoption by higher levels; 约稿, weekly quotas and the 通报 ranking.

service.py holds the rules, ranking.py the 通报 figures (`year_scores` for 目标考核), documents.py the
.docx documents and the worker's PDF queue, demo.py the demo bureau's year of items. docs/offices.md.
"""
