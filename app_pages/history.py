"""History: every restore and backup known (recorded, or only in DocSpace's audit trail), how each ended, and a
30-day strip per portal."""

import streamlit as st

from lib import clock
from lib.jobs.timeline import Timeline
from lib.portal.models import Operation
from lib.text import md_escape
from lib.ui import chrome, state
from lib.ui.strip import draw_strip
from lib.views.charts import timeline_figure
from lib.views.export import table_csv
from lib.views.history import OUTCOMES, operations_table, portal_strip, row_outcome, rows_of, trail_rows

ctx = state.context()
v = ctx.viewer
st.title(v._(state.PAGE_TITLES["history"]))
chrome.notices(ctx, about_portal=False)
labels = {p.name: p.label_for(v) for p in ctx.config.portals}
store = ctx.source.store
if ctx.linked_portal and st.session_state.get(state.HISTORY_LINK) != ctx.linked_portal:
    st.session_state[state.HISTORY_PORTAL] = ctx.linked_portal  # a shared /history?portal=x link
    st.session_state[state.HISTORY_LINK] = ctx.linked_portal
where, what, ended = st.columns(3)
portal = where.selectbox(v._("Portal"), ["", *labels], format_func=lambda n: labels.get(n, v._("All portals")),
                         key=state.HISTORY_PORTAL)
kinds = {"": v._("Restores and backups"), "restore": v._("Restores"), "backup": v._("Backups")}
kind = what.selectbox(v._("What"), list(kinds), key=state.HISTORY_KIND, format_func=kinds.get)
outcome = ended.selectbox(v._("How it ended"), ["", *OUTCOMES], key=state.HISTORY_OUTCOME,
                          format_func=lambda o: v._(OUTCOMES[o]) if o else v._("Any way"))


@st.fragment(run_every=None if state.paused() else 60)
def history() -> None:
    now = clock.now()
    chrome.unwatched(ctx, now)
    notice = st.container()  # filled once the page has read: it says whether it could
    for name in [portal] if portal else list(labels):
        st.markdown(v._("**{label}** · the last 30 days", label=md_escape(labels[name], 80)))
        answer = ctx.source.backups(name)
        draw_strip(portal_strip(store, name, answer.result if answer else None, now, v, labels[name]), name, v,
                   big=ctx.kiosk)
    trail = [row for name in ([portal] if portal else list(labels)) for row in trail_rows(store, name, now)]
    rows = rows_of(store.operations(portal=portal or None, kind=kind or None, outcome=outcome or None, limit=500),
                   trail, kind or None, outcome or None)
    with notice:
        chrome.history_notice(ctx)
    st.subheader(v._("Operations"))
    if not rows and store.unreadable:  # never "nothing recorded": the history exists, it cannot be read just now
        return
    if not rows:
        st.info(v._("No operation recorded yet with these choices. Restores and backups appear here as soon as the "
                    "app sees them, whether or not anyone is looking."), icon=":material/history:")
        return
    table = operations_table(rows, labels, v, names=ctx.config.sign_in is not None)  # names only when signed in
    small = st.column_config.TextColumn(width="small")
    picked = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                          key=state.HISTORY_TABLE, column_config={v._("Operation"): small, v._("Took"): small})
    st.download_button(v._("Download the list (CSV)"), table_csv(table), file_name="operations.csv",
                       mime="text/csv")
    chosen = picked.selection.rows if picked else []
    linked = st.query_params.get("operation")
    row = rows[chosen[0]] if chosen else next((r for r in rows if r.op is not None and r.op.id == linked), None)
    if row is None:
        st.caption(v._("Select an operation to see its timeline."))
        return
    if row.op is None:
        st.caption(v._("This app did not watch it: DocSpace's audit trail tells only when it happened, so there is "
                       "no timeline to draw."))
        return
    op = row.op
    timeline = Timeline.resume(Operation.parse(op.kind), op.id, store.points_of(op.id), [])
    st.markdown("**" + md_escape(v.k_(op.kind, "The {noun} on {label}", label=labels.get(op.portal, op.portal)), 120)
                + "** — " + md_escape(row_outcome(row, v)))
    if len(timeline.progress_points) >= 2:
        st.plotly_chart(timeline_figure(timeline, v), key="history-chart", alt=v._("Percent done over time"),
                        config={"displaylogo": False, "displayModeBar": False})
    else:
        st.caption(v._("Only one moment of it was seen: there is no timeline to draw."))


history()
