"""Pure knowledge of restores and backups: phases, the progress timeline, how long is left, what earlier
runs teach, the schedule, which backups were made, and a recorded operation's shape. No I/O: it
imports only ``portal`` (the values DocSpace sends) and the root helpers."""
