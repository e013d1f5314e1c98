"""Models: one card per model folder: base, training data, grader, HPO release, validation metrics, reward curve."""

import json

import altair as alt
import streamlit as st

from rft.markdown import escape_markdown
from rft.model_card import ModelCard, display_path, find_model_folders, read_model_card
from rft.registry import MODELS_DIR_ENV, models_dirs

st.title("Models")
roots = models_dirs()
st.caption("Model folders (a folder with a meta.json) under " + ", ".join(display_path(r) for r in roots) + f"; add folders with ${MODELS_DIR_ENV}.")
folders = [f for root in roots for f in find_model_folders(root)]
if not folders:
    st.info("No model folder found. The classical rankers still work on every page.")
    st.stop()

def _show_card(i: int, card: ModelCard) -> None:
    """One model folder's card: facts, metrics, curve, problems, its meta.json."""
    st.subheader(escape_markdown(card.name))
    st.caption(escape_markdown(f"{card.kind} · {display_path(card.folder)}"))
    facts = {"Base": card.base, "Training data": card.train_size, "Grader": card.grader, "HPO release": card.hpo_version,
             "How it ranks": card.ranking}
    # A full-width table, not st.metric: a metric tile cuts long values ("102,400 synthetic patients") short.
    st.dataframe([{"field": k, "value": v or "—"} for k, v in facts.items()], key=f"models_facts_{i}", hide_index=True, width="stretch")
    st.markdown("**Metrics**")
    if card.metrics:
        frame = card.metrics_frame()
        st.dataframe(frame, key=f"models_metrics_{i}", hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(c, format="%.4g") for c in frame.columns if c != "metric"})
        for note in card.metric_notes:
            st.caption(note)
    else:
        st.caption("none recorded")
    st.markdown("**Reward and validation over training steps**")
    if len(card.curve):
        chart = (
            alt.Chart(card.curve)
            .mark_line(point=alt.OverlayMarkDef(size=10))
            .encode(
                x=alt.X("step:Q", title="training step"),
                y=alt.Y("value:Q", title="grader score / metric"),
                color=alt.Color("series:N", legend=alt.Legend(orient="bottom")),
                tooltip=["series", "step", alt.Tooltip("value:Q", format=".4f")],
            )
        )
        st.altair_chart(chart, key=f"models_curve_{i}")
    else:
        st.caption("no metrics.jsonl in this folder (not an RFT run)")
    for problem in card.problems:
        st.warning(escape_markdown(problem, limit=1000))
    with st.expander("meta.json"):
        st.code(json.dumps(card.meta, indent=2, default=str)[:20000], language="json")


for i, path in enumerate(folders):
    try:
        card = read_model_card(path)
    except ValueError as e:
        st.error(escape_markdown(str(e).replace(str(path), display_path(path)), limit=1000))
        continue
    except Exception as e:  # noqa: BLE001 - a meta.json of unexpected shape: this card is broken, the others stay
        st.error(f"{escape_markdown(display_path(path))}: this model folder's meta.json cannot be read ({type(e).__name__}: {escape_markdown(e)})")
        continue
    with st.container(border=True):
        try:
            _show_card(i, card)
        except Exception as e:  # noqa: BLE001 - one broken folder is shown as broken; the other cards stay
            st.error(f"{escape_markdown(display_path(path))}: this model folder cannot be shown ({type(e).__name__}: {escape_markdown(e)}); "
                     "its meta.json or metrics.jsonl is damaged")

