"""Streamlit glue shared by the pages of `app.py`: the cached ontology and rankers, uploads, ranking with progress.

    streamlit run app.py

The ontology and every ranker are loaded once per server process (`st.cache_resource`) and shared by all
sessions; which rankers exist and how each is built is `rft.registry`'s (`ranker_choices`, `load_ranker`).

All ranking (and model loading) runs on one long-lived worker thread per server. Streamlit runs every rerun on
a fresh script thread, and torch's OpenMP thread pool belongs to the thread that calls it: ranking on a new
thread each click built a new pool and left the old ones spinning, which made the app's ranking ~25x slower
than the same call in a script. The worker also uses `RFT_APP_THREADS` torch threads (default 1: measured
faster than 2 beside Streamlit's own threads on a 2-core machine; `bench/bench_app.py`). `preload_ranker`
starts the default model's load on that thread at the first page view, so torch's import and the model load
happen while the user enters terms, once per server.
Nothing here writes files. The pages call these helpers and `rft.report`, nothing more.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

import streamlit as st

from ontology import load_hpo
from rft.case_knowledge import (
    CASE_KNOWLEDGE_ENV,
    case_knowledge_paths,
    knowledge_source,
    read_case_knowledge,
    with_case_reports,
)
from rft.cases import Case, load_cases
from rft.evaluate import rank_in_chunks
from rft.limits import MAX_UPLOAD_MB  # re-exported for the pages; also .streamlit/config.toml
from rft.markdown import escape_markdown
from rft.paths import DATA_DIR
from rft.registry import load_ranker

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.rankers.base import Ranker, Ranking

__all__ = [
    "CASE_KNOWLEDGE_LABEL",
    "CASE_TYPES",
    "EXAMPLES_DIR",
    "MAX_UPLOAD_MB",
    "cached_hpo",
    "cached_ranker",
    "case_upload",
    "current_hpo",
    "example_cases",
    "preload_ranker",
    "rank_with_progress",
    "ranker_with_case_knowledge",
    "release_choices",
    "term_label",
]

EXAMPLES_DIR = DATA_DIR / "examples"
CASE_TYPES = ["json", "zip", "jsonl", "csv", "tsv"]


CASE_KNOWLEDGE_LABEL = " + case knowledge"  # what a ranker's name gets on Batch and Compare when the solved cases are added
CASES_KEY = "cases+"  # a release key with case knowledge: "cases+<release key>|<$RFT_CASE_KNOWLEDGE>"


@st.cache_resource(show_spinner="Loading the HPO release (once, a few seconds)…", max_entries=4)
def cached_hpo(release: str = "") -> Hpo:
    """An HPO release ("": the bundled one, or `$RFT_HPO_DIR`; else a cached release's date), with its search
    index built before the first keystroke; "cases+<release>|<paths>": that release plus the solved cases of
    those files as knowledge (`rft.case_knowledge`; `current_hpo` builds the key from `$RFT_CASE_KNOWLEDGE`)."""
    if release.startswith(CASES_KEY):  # "cases+<release>|<paths>": the paths are part of the key
        base, _, joined = release.removeprefix(CASES_KEY).partition("|")
        paths = tuple(case_knowledge_paths(joined))
        hpo = with_case_reports(cached_hpo(base), _knowledge_cases(base, paths), source=knowledge_source(paths))
    else:
        hpo = load_hpo(release or None)
    hpo.search("seizure", 1)
    return hpo


THREADS_ENV = "RFT_APP_THREADS"


def _set_worker_threads() -> None:
    import torch  # the heavy import happens here, on the worker, not on a page's script thread

    torch.set_num_threads(max(1, int(os.environ.get(THREADS_ENV, "1"))))


@st.cache_resource(show_spinner=False)
def _worker() -> ThreadPoolExecutor:
    """The one thread per server that loads and runs every ranker (see the module docstring for why)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="rft-rank", initializer=_set_worker_threads)


@st.cache_resource(show_spinner=False, max_entries=6)
def _ranker_future(spec: str, release: str) -> Future:
    return _worker().submit(load_ranker, spec, cached_hpo(release))


def preload_ranker(spec: str, release: str = "") -> bool:
    """Start loading a ranker on the worker thread (once per server and release); True when it is ready."""
    future = _ranker_future(spec, release)
    if future.done() and future.exception() is not None:
        _ranker_future.clear()  # a failed load is retried on the next call, and its error shown by cached_ranker
    return future.done()


def cached_ranker(spec: str, release: str = "") -> Ranker:
    """`rft.registry.load_ranker(spec)` against `release`, once per process and release, loaded on the worker;
    its `rank` runs there too.

    Raises:
        ValueError, ImportError: from `load_ranker` (then the next call tries again).
    """
    future = _ranker_future(spec, release)
    if not future.done():
        with st.spinner("Loading the ranker (once per server; the model takes a few seconds)…"):
            future.exception()  # waits
    if future.exception() is not None:
        _ranker_future.clear()
    return _OnWorker(future.result())


@st.cache_resource(show_spinner="Reading the solved cases of $RFT_CASE_KNOWLEDGE (once)…", max_entries=2)
def _knowledge_cases(release: str, paths: tuple[str, ...]) -> list[Case]:
    return read_case_knowledge(paths, cached_hpo(release))


def ranker_with_case_knowledge(spec: str, release: str, leave_out: Collection[str]) -> Ranker:
    """`spec` against `release` plus the solved cases of `$RFT_CASE_KNOWLEDGE`, the cases of the `leave_out`
    papers left out (a batch's own): built for the batch on the worker thread, not kept.

    Raises:
        ValueError: from reading the case knowledge or loading the ranker.
    """
    paths = tuple(case_knowledge_paths())
    cases = _knowledge_cases(release, paths)
    build = lambda: load_ranker(spec, with_case_reports(cached_hpo(release), cases, leave_out, source=knowledge_source(paths)))
    with st.spinner("Adding the case knowledge and loading the ranker (seconds)…"):
        return _OnWorker(_worker().submit(build).result())


class _OnWorker:
    """A ranker whose `rank` runs on the worker thread; anything else is the ranker's own."""

    def __init__(self, ranker: Ranker):
        self.ranker = ranker
        self.name = ranker.name

    def rank(self, cases: Sequence[Case], top: int | None = None) -> list[Ranking]:
        return _worker().submit(self.ranker.rank, cases, top=top).result()

    def __getattr__(self, name: str):
        return getattr(self.ranker, name)


def release_choices() -> list[str]:
    """"" (the default release) and the date of every release in the cache (`rft kb update`, `rft kb fetch`)."""
    from ontology.releases import cached_releases

    return [""] + [p.name for p in reversed(cached_releases())]


def current_hpo(case_knowledge: bool = False) -> tuple[Hpo, str]:
    """The HPO release this session ranks against, chosen in the sidebar (shared by every page), and its key;
    with `case_knowledge` (the Diagnose page), plus the solved cases of `$RFT_CASE_KNOWLEDGE` where it is set.
    Pages that rank uploaded cases do without them here (Batch adds them per batch, each case's own paper left
    out: `ranker_with_case_knowledge`): a case must never be matched against itself."""
    choices = release_choices()
    # The choice lives under a key of its own: a widget's state does not survive a switch to another page.
    release = st.session_state.get("release", "")
    if release not in choices:
        release = st.session_state.release = ""
    default = cached_hpo("")

    def _keep() -> None:
        st.session_state.release = st.session_state.hpo_release

    st.sidebar.selectbox(
        "HPO release", choices, index=choices.index(release), key="hpo_release", on_change=_keep,
        format_func=lambda r: f"{default.version} (default)" if r == "" else r,
        help="The knowledge base genes are ranked against. `rft kb update` adds the newest release; models rank its new genes at once.",
    )
    if release == "":
        hpo = default
    else:
        try:
            hpo = cached_hpo(release)
        except (ValueError, OSError) as e:  # a damaged cached release: say so, rank against the default instead
            st.error(f"HPO release {release} cannot be used ({escape_markdown(e, limit=1000)}); using the default release {default.version}. "
                     f"`rft kb update --from FOLDER --force` replaces it.")
            st.session_state.release = release = ""
            hpo = default
    paths = case_knowledge_paths()
    if not paths:
        return hpo, release
    if not case_knowledge:
        st.sidebar.caption(f"Case knowledge (`{CASE_KNOWLEDGE_ENV}`) ranks on the Diagnose page, and on Batch when ticked there (each "
                           "uploaded case's own paper left out); here uploads are ranked against HPO alone.")
        return hpo, release
    key = f"{CASES_KEY}{release}|{os.pathsep.join(paths)}"
    try:
        with_cases = cached_hpo(key)
    except (ValueError, OSError) as e:
        st.error(f"The case knowledge in `{CASE_KNOWLEDGE_ENV}` cannot be used ({escape_markdown(e, limit=1000)}); ranking against HPO alone.")
        return hpo, release
    st.sidebar.caption("Knowledge: HPO " + escape_markdown(with_cases.knowledge, limit=300))
    return with_cases, key


def case_upload(label: str, key: str, types: Sequence[str] = CASE_TYPES, multiple: bool = False, **kwargs) -> list[tuple[str, bytes]]:
    """A file uploader for case files (or results files) that refuses, with a message, files over the limit.

    Returns:
        (name, content) of each accepted file; empty when nothing (usable) was uploaded.
    """
    uploaded = st.file_uploader(f"{label} (at most {MAX_UPLOAD_MB} MB)", type=list(types), key=key, accept_multiple_files=multiple,
                                max_upload_size=MAX_UPLOAD_MB, **kwargs)
    files = [f for f in (uploaded if multiple else [uploaded]) if f is not None]
    out = []
    for f in files:
        if f.size > MAX_UPLOAD_MB * 1024 * 1024:
            st.error(f"{escape_markdown(f.name)} is {f.size / 2**20:.1f} MB; the limit is {MAX_UPLOAD_MB} MB. Split it into smaller files.")
            continue
        out.append((f.name, f.getvalue()))
    return out


def rank_with_progress(
    ranker: Ranker, cases: Sequence[Case], top: int | None, label: str = "", start: int = 0, chunk_size: int = 16, done: list[Ranking] | None = None
) -> list[Ranking]:
    """Rank `cases[start:]` a chunk at a time under a progress bar; each chunk is appended to `done` as it arrives,
    so what was ranked before an error is kept (the caller catches the error and can continue from len(done))."""
    done = [] if done is None else done
    progress = st.progress(start / max(len(cases), 1), text=f"{label}{start} of {len(cases)} cases ranked")
    for n, rankings in rank_in_chunks(ranker, cases, top, chunk_size, start):
        done.extend(rankings)
        progress.progress(n / len(cases), text=f"{label}{n} of {len(cases)} cases ranked")
    progress.empty()
    return done


def example_cases(hpo: Hpo) -> list[Case]:
    """The hand-written example cases shipped in data/examples/cases.jsonl."""
    path = EXAMPLES_DIR / "cases.jsonl"
    return load_cases(path, hpo).cases if path.is_file() else []


def term_label(hpo: Hpo, term_id: str) -> str:
    """`Label · HP:0000000`, how the pages show a term everywhere."""
    return f"{hpo.label(term_id)} · {term_id}"
