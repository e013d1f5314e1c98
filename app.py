"""The gene-ranking app: diagnose one patient, rank a batch, compare rankers, read model cards.

    streamlit run app.py

This file only sets the page layout and the navigation; each page lives in pages/ and calls the library.
"""

import streamlit as st

st.set_page_config(page_title="RFT gene ranking", page_icon=":material/genetics:", layout="wide")
st.navigation(
    [
        st.Page("pages/diagnose.py", title="Diagnose", icon=":material/stethoscope:", default=True),
        st.Page("pages/batch.py", title="Batch", icon=":material/inventory_2:"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page("pages/models.py", title="Models", icon=":material/model_training:"),
    ]
).run()
