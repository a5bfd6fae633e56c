"""The threads that ask, record and notify: one poller per portal endpoint, the recording of each
answer, the notifications, the watcher that runs them with nobody looking, the reader for an app that
only reads, and the headless command line. Stands on ``db``, ``jobs``, ``portal`` and ``settings``."""
