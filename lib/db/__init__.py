"""The recorded history database: its tables and migrations (schema) and the only code that writes
or reads it (store). Stands on ``jobs`` and ``portal`` for the values it keeps."""
