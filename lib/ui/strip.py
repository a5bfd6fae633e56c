"""Drawing a portal's 30-day strip: the cells, the summary line, and the notable days in words.

The chart says each day's story when a cell is pointed at or tapped; the same words are also listed
below it, so a phone, a wall screen or a screen reader gets them without hovering.
"""

from __future__ import annotations

import streamlit as st

from lib.i18n import Viewer
from lib.text import md_escape
from lib.views.charts import strip_figure
from lib.views.history import Strip


def draw_strip(strip: Strip, key: str, v: Viewer, *, big: bool = False, alarm: bool = True) -> None:
    """``alarm``: say that automatic backups stopped (False where the page has said it already)."""
    if alarm and strip.alarm:
        st.error(md_escape(strip.alarm, 500), icon=":material/event_busy:")
    st.plotly_chart(strip_figure(strip.cells, v), key=f"strip:{key}", alt=v._("The last 30 days, one cell a day"),
                    config={"displaylogo": False, "displayModeBar": False, "responsive": True})
    st.markdown(f"### {md_escape(strip.summary)}" if big else md_escape(strip.summary))
    if strip.notable and not big:
        with st.expander(v._("Days to know about ({n})", n=len(strip.notable)), icon=":material/event_note:"):
            st.markdown("\n".join(f"- {md_escape(line, 300)}" for line in strip.notable))
