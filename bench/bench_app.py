"""Benchmark the app against the library: Diagnose click-to-table and a 50-case Batch, driven through AppTest.

    python bench/bench_app.py                    # default ranker (the shipped model), 10 clicks, 50-case batch
    python bench/bench_app.py --ranker similarity --clicks 20

Prints one table: for one case, `ranker.rank` called in this script (what bench/bench_model.py measures)
beside the time the Diagnose page reports for the same call and the whole click-to-table rerun; for the
batch, `ranker.rank` over 50 cases in the page's chunks beside the Batch page's click-to-results. Medians
over the repeats; the machine's load average is printed with them. Torch uses 1 thread here as in the app
(`RFT_APP_THREADS`). Nothing is written.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ranker", default="", help="a ranker label prefix from the app's menu (default: the recommended one)")
    parser.add_argument("--clicks", type=int, default=10)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()

    import torch

    from rft.cases import Case
    from rft.registry import load_ranker, ranker_choices
    from rft.ui import cached_hpo, example_cases

    torch.set_num_threads(int(os.environ.get("RFT_APP_THREADS", "1")))
    choice = next(c for c in ranker_choices() if c.label.startswith(args.ranker))
    hpo = cached_hpo("")
    case = next(c for c in example_cases(hpo) if c.id == "example-marfan")
    examples = example_cases(hpo)
    batch = [Case(f"b{i}", examples[i % len(examples)].present, examples[i % len(examples)].excluded, examples[i % len(examples)].genes)
             for i in range(args.batch)]

    t = time.perf_counter()
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    first_run = time.perf_counter() - t
    ranker = load_ranker(choice.spec, hpo)  # the library's own copy, loaded in this thread
    ranker.rank([case], top=None)
    lib_one = []
    for _ in range(args.clicks):
        t = time.perf_counter()
        ranker.rank([case], top=None)
        lib_one.append(time.perf_counter() - t)
    lib_batch = []
    for _ in range(3):
        t = time.perf_counter()
        for i in range(0, len(batch), 16):  # the page's chunks (rft.ui.rank_with_progress)
            ranker.rank(batch[i : i + 16], top=20)
        lib_batch.append(time.perf_counter() - t)

    at.selectbox(key="dx_ranker").select(choice.label).run()
    at.selectbox(key="dx_example").select(case.id).run()
    at.button(key="dx_rank").click().run()  # the first click waits for the model load
    app_inner, app_click = [], []
    for _ in range(args.clicks):
        t = time.perf_counter()
        at.button(key="dx_rank").click().run()
        app_click.append(time.perf_counter() - t)
        app_inner.append(float(next(m.value for m in at.metric if m.label == "Time").removesuffix(" ms")) / 1000)
        assert not at.exception

    upload = "".join(json.dumps({"id": c.id, "present": list(c.present), "excluded": list(c.excluded), "genes": list(c.genes)}) + "\n" for c in batch)
    app_batch = []
    for _ in range(3):
        bt = AppTest.from_file(APP, default_timeout=300)
        bt.run()
        bt.switch_page("pages/batch.py").run()
        bt.file_uploader(key="batch_upload").upload("cases.jsonl", upload.encode()).run()
        bt.selectbox(key="batch_ranker").select(choice.label).run()
        t = time.perf_counter()
        bt.button(key="batch_run").click().run()
        app_batch.append(time.perf_counter() - t)
        assert not bt.exception and len(bt.dataframe) > 0

    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"ranker: {choice.label} ({choice.spec}); {os.cpu_count()} CPUs, load average {load} (1/5/15 min); app first run {first_run:.1f} s")
    print("| what | library (this script) | app: ranking call | app: click to table | app / library |")
    print("|---|---|---|---|---|")
    lib, inner, click = _median_ms(lib_one), _median_ms(app_inner), _median_ms(app_click)
    print(f"| one case, all genes (median of {args.clicks}) | {lib} ms | {inner} ms | {click} ms | {inner / lib:.1f}x (call), {click / lib:.1f}x (click) |")
    lb, ab = _median_ms(lib_batch), _median_ms(app_batch)
    print(f"| {args.batch}-case batch, top 20 (median of 3) | {lb} ms | | {ab} ms | {ab / lb:.1f}x |")


if __name__ == "__main__":
    main()
