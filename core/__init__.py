"""The system of record: database models, migrations, file storage and organisation services (no Flask)."""
