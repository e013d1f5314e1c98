"""Every limit the project enforces on what users send it, in one place (README "Limits").

    from rft.limits import MAX_UPLOAD_MB, MAX_MEMBER_MB, MAX_ARCHIVE_MB, MAX_ARCHIVE_MEMBERS, MAX_CASES

Past a limit nothing crashes and nothing is silently cut: the upload is refused, or the member, row or case
past it becomes a `rft.cases.Problem` naming the limit, and the good records before it still load.
No imports: every layer (cases, CLI, app, bench) reads these constants.
"""

__all__ = [
    "DEFAULT_GENES_KEPT",
    "MAX_ARCHIVE_MB",
    "MAX_ARCHIVE_MEMBERS",
    "MAX_CASES",
    "MAX_CELL_CHARS",
    "MAX_GENES_KEPT",
    "MAX_JSON_MB",
    "MAX_MEMBER_MB",
    "MAX_NOTE_CHARS",
    "MAX_RANKED_GENES",
    "MAX_SUGGESTIONS",
    "MAX_TERMS_PER_CASE",
    "MAX_UPLOAD_MB",
    "MAX_VCF_UPLOAD_MB",
]

MAX_UPLOAD_MB = 50  # one uploaded file on the app (also .streamlit/config.toml server.maxUploadSize)
MAX_VCF_UPLOAD_MB = 200  # one VCF on Diagnose: streamed, memory flat; 5 million variants (172 MB gzipped) read in 69-128 s (bench/bench_vcf.py)
MAX_MEMBER_MB = 50  # one zip member, decompressed (read in chunks, refused as soon as it is passed)
MAX_ARCHIVE_MB = 500  # all members of one zip, decompressed (the 7,487-case phenopacket-store dev zip: 50 MB)
MAX_ARCHIVE_MEMBERS = 20_000  # case files in one zip (phenopacket-store: ~8,000 phenopackets)
MAX_JSON_MB = 20  # one JSON document (a phenopacket, a list or a Cohort): parsed whole, so kept smaller
MAX_CASES = 20_000  # records read from one source (file, folder or zip); later records are not read
MAX_CELL_CHARS = 100_000  # one CSV cell; a longer cell loses its row, never the rows after it
DEFAULT_GENES_KEPT = 100  # genes kept per case on the Batch page, by default
MAX_GENES_KEPT = 1_000  # the most the Batch page keeps per case (a full ranking is what `rft eval` is for)
MAX_RANKED_GENES = 1_000_000  # genes kept over all cases of one Batch-page run (~100 MB): fewer per case for big batches
MAX_SUGGESTIONS = 50  # "did you mean ...?" searches for unknown terms per loaded file, folder or zip (10-30 ms each); later unknown terms get none
MAX_TERMS_PER_CASE = 1_000  # present + excluded terms of one case (the largest phenopacket-store case: ~150); later terms are a Problem
MAX_NOTE_CHARS = 20_000  # one clinical note on Diagnose (a long discharge letter: ~10,000); a 5 MB paste took 15 s
