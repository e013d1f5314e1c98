"""Untrusted text made safe to show in Streamlit's markdown: one helper for every value a user or a file chose.

    import streamlit as st
    from rft.markdown import escape_markdown
    st.success(f"Opened {escape_markdown(case_id)} from {escape_markdown(file_name)}")

Streamlit renders the text of `st.success`, `st.error`, `st.warning`, `st.info`, `st.caption`, `st.markdown`,
expander labels and metric labels as markdown. A phenopacket `id` of `[Verify your login](http://…)
![x](http://…/beacon.png)` would render a link and make the browser fetch the image; a value with `:red[…]`,
`$…$` or `#` would restyle the page. `escape_markdown` backslash-escapes every markdown punctuation character
(links, images, emphasis, code, headings, Streamlit's `:colour[…]` directives, LaTeX, bare URLs and e-mail
addresses, a list or heading at the start), joins lines, replaces what cannot be sent to a browser (lone surrogates),
and cuts very long values, so the text shows exactly as written. Values shown in tables (`st.dataframe`) and
widget options are not markdown and need none of this.
"""

from __future__ import annotations

import re

__all__ = ["MAX_SHOWN_CHARS", "escape_markdown"]

MAX_SHOWN_CHARS = 300  # one value in a message; the file still holds all of it
# Characters that start markdown anywhere in a line: emphasis, code, links and images, HTML, headings, tables,
# strike-through, LaTeX, Streamlit's :colour[...] directives, entities, e-mail autolinks.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#|~$^&!@])")
# Bare URLs ("www.x.org", "http://x": GFM links them without brackets) and directives (":red[", ":material/...").
_AUTOLINK = re.compile(r"(?i)(www)\.|:(//)|:(?=[a-z])")
_LINE_START = re.compile(r"^(\d+)\.(?=\s)|^([-+=])")  # "1. " or "- " would start a list, "=" a heading underline


def escape_markdown(value: object, limit: int = MAX_SHOWN_CHARS) -> str:
    """`value` as text that markdown shows literally: one line, at most `limit` characters, markup escaped.
    File names, ids and messages stay readable ("cases.csv:3: HP:0001250" is unchanged).

    >>> print(escape_markdown("[click](http://x.io) ![b](www.x.io/b.png)"))
    \\[click\\]\\(http:\\/\\/x.io\\) \\!\\[b\\]\\(www\\.x.io/b.png\\)
    """
    text = " ".join(str(value).split())
    text = text.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate ("a\\ud800") becomes "?"
    if len(text) > limit:
        text = text[:limit] + "…"
    text = _SPECIAL.sub(r"\\\1", text)
    text = _AUTOLINK.sub(lambda m: f"{m.group(1)}\\." if m.group(1) else ":\\/\\/" if m.group(2) else "\\:", text)
    return _LINE_START.sub(lambda m: f"{m.group(1)}\\." if m.group(1) else f"\\{m.group(2)}", text)
