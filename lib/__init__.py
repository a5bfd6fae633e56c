"""DocSpace Backup Monitor's logic, in packages that stand on each other in one order (a test checks it):

    portal, settings  <  jobs  <  db  <  watching  <  views  <  ui

``portal`` is DocSpace's side (the only HTTP), ``settings`` the secrets made sure; ``jobs`` is pure
knowledge of restores and backups; ``db`` the recorded history; ``watching`` the threads that ask,
record and notify; ``views`` what each page says and draws; ``ui`` the only Streamlit glue. The few
modules at this root (clock, text, links, timewords) are helpers any package may use.
"""
