"""Backups: the backup history, the schedule in words, when the last backup ran, and whether one is overdue."""

import streamlit as st

from lib import clock, dashboard, humanize
from lib import schedule as sched
from lib.errors import DocSpaceError, PortalRestoring
from lib.export import history_csv
from lib.models import Operation
from lib.overview import last_backup_time, newest_first, utc
from lib.text import clean, md_escape

st.title("Backups")
config = dashboard.read_config()
portal = dashboard.selected_portal(config)
mon = dashboard.monitor(config)
dashboard.demo_notice(config)
dashboard.insecure_notice(portal)


@st.fragment(run_every=None if dashboard.paused() else max(dashboard.refresh_seconds(), 10))
def backups() -> None:
    poll = mon.backups_poller(portal.name).poll()
    now = clock.now()
    tz = dashboard.viewer_zone()
    restore = mon.progress_poller(portal.name, Operation.RESTORE).latest
    restoring = restore is not None and restore.ok and restore.result is not None and not restore.result.is_completed
    if poll is None:
        st.info("Checking the portal…", icon=":material/hourglass_top:")
        return
    if isinstance(poll.result, PortalRestoring) or (restoring and not poll.ok):
        st.info("The portal is being restored; backups are unavailable until it finishes.", icon=":material/autorenew:")
        st.page_link("app_pages/restore.py", label="Watch the restore", icon=":material/autorenew:",
                     query_params={"portal": portal.name})
        return
    if isinstance(poll.result, DocSpaceError):
        icon = ":material/lock:" if poll.result.status in (401, 403) else ":material/cloud_off:"
        st.error(md_escape(poll.result.message, 400), icon=icon)
        st.caption(f"Last tried {humanize.clock(poll.at, tz, now, seconds=True)}; we try again automatically.")
        return
    history, schedule = poll.result
    last = last_backup_time(history, schedule)
    late = sched.overdue_since(schedule, now) if schedule else None
    if late is not None:
        st.warning(f"**A scheduled backup is overdue.** The schedule expected one at "
                   f"{humanize.clock(late, tz, now)}; the last backup ran "
                   f"{humanize.ago(now - last.timestamp()) if last else 'never'}. "
                   "Check the portal's backup settings and the backup service.", icon=":material/alarm:")
    cols = st.columns(3)
    cols[0].metric("Last backup", humanize.ago(now - last.timestamp()) if last else "never",
                   help=humanize.date_time(last, tz) if last else None, border=True)
    if schedule is not None:
        nxt = sched.next_due(schedule, utc(now))
        cols[1].metric("Next scheduled", humanize.weekday_clock(nxt.timestamp(), tz, now) if nxt else "—",
                       help=humanize.date_time(nxt, tz) if nxt else None, border=True)
        cols[2].metric("Backups kept", str(schedule.backups_stored or "—"), border=True)
        st.markdown(f"**Schedule:** {md_escape(sched.words(schedule))}, stored in "
                    f"{md_escape(schedule.storage_type.words)}.")
    else:
        cols[1].metric("Next scheduled", "no schedule", border=True)
        st.caption("No automatic backup schedule is set on this portal.")
    st.subheader("Backup files")
    if not history:
        st.info("The portal has no backup files.", icon=":material/folder:")
    else:
        zone = humanize.zone_label(tz)
        rows = newest_first(history)
        st.dataframe(
            {
                f"Created ({zone})": [humanize.date_time(r.created_on, tz) for r in rows],
                "Stored in": [r.storage_type.words for r in rows],
                "File": [clean(r.file_name, 200) for r in rows],
                f"Expires ({zone})": [humanize.date_time(r.expires_on, tz) if r.expires_on else "never" for r in rows],
            },
            hide_index=True, width="stretch",
        )
        st.download_button("Download the list (CSV)", history_csv(rows, tz), file_name="backups.csv", mime="text/csv")
    runs = [(t.operation.noun, r) for p, t in mon.past_runs() if p.name == portal.name for r in t.runs]
    if runs:
        st.subheader("Operations this app has seen")
        st.dataframe(
            {
                "Operation": [noun for noun, _ in runs],
                f"First seen ({humanize.zone_label(tz)})": [humanize.clock(r.first_seen, tz, now) for _, r in runs],
                "Outcome": [r.outcome.value for _, r in runs],
                "Took": [humanize.duration(r.duration) + ("" if r.first_percent == 0 else " (seen from "
                                                          f"{r.first_percent}%)") for _, r in runs],
            },
            hide_index=True, width="stretch",
        )
    st.caption(f"Checked {humanize.clock(poll.at, tz, now, seconds=True)}; the list is re-read every "
               f"{humanize.duration(mon.backups_poller(portal.name).interval)}.")


if not dashboard.needs_key(portal):
    backups()
