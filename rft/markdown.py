"""Untrusted text made safe to show in Streamlit's markdown: one helper for every value a user or a file chose.

    import streamlit as st
    from rft.markdown import escape_markdown
    st.success(f"Opened {escape_markdown(case_id)} from {escape_markdown(file_name)}")

Streamlit renders the text of `st.success`, `st.error`, `st.warning`, `st.info`, `st.caption`, `st.markdown`,
expander labels and metric labels as markdown. A phenopacket `id` of `[Verify your login](http://…)
![x](http://…/beacon.png)` would render a link and make the browser fetch the image; a value with `:red[…]`,
`$…$` or `#` would restyle the page. `escape_markdown` backslash-escapes every markdown punctuation character
(links, images, emphasis, code, headings, Streamlit's `:colour[…]` and `:material/…:` directives, LaTeX, bare
URLs, which need their `:` and `.`), joins lines, replaces what cannot be sent to a browser (lone surrogates),
and cuts very long values, so the text shows exactly as written. Values shown in tables (`st.dataframe`) and
widget options are not markdown and need none of this.
"""

from __future__ import annotations

import re

__all__ = ["MAX_SHOWN_CHARS", "escape_markdown"]

MAX_SHOWN_CHARS = 300  # one value in a message; the file still holds all of it
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=^&@%])")


def escape_markdown(value: object, limit: int = MAX_SHOWN_CHARS) -> str:
    """`value` as text that markdown shows literally: one line, at most `limit` characters, punctuation escaped.

    >>> print(escape_markdown("[click](http://x.io) ![b](http://x.io/b.png)"))
    \\[click\\]\\(http\\://x\\.io\\) \\!\\[b\\]\\(http\\://x\\.io/b\\.png\\)
    """
    text = " ".join(str(value).split())
    text = text.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate ("a\\ud800") becomes "?"
    if len(text) > limit:
        text = text[:limit] + "…"
    return _SPECIAL.sub(r"\\\1", text)
