"""DocSpace's side: what its backup endpoints answer (models), how that can fail (errors), and the
client, the only code in the app that talks HTTP to a portal. Imports only the root helpers."""
