"""Time and peak memory of reading candidate genes from a large VEP-annotated VCF (`rft.vcf.read_vcf_genes`).

    python bench/bench_vcf.py                     # 5 million variants, written to runs/bench_vcf/ first (not committed)
    python bench/bench_vcf.py --variants 200000   # a quick check

The input is generated on the fly: a gzipped VCF with a VEP CSQ field (3 transcripts per variant, a
gnomADe_AF, 20,000 genes, 10 % of records failing FILTER), about 40 bytes compressed per variant. Reading runs in
a child process so its peak resident memory (ru_maxrss) is the reader's alone. Prints a table.
"""

from __future__ import annotations

import argparse
import gzip
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

IMPACT_OF = [("missense_variant", "MODERATE"), ("stop_gained", "HIGH"), ("synonymous_variant", "LOW"), ("intron_variant", "MODIFIER"),
             ("splice_region_variant", "LOW"), ("frameshift_variant", "HIGH")]


def write_vcf(path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    genes = [f"GENE{i}" for i in range(20_000)]
    with gzip.open(path, "wt", compresslevel=1) as f:
        f.write("##fileformat=VCFv4.2\n##FILTER=<ID=PASS,Description=\"All filters passed\">\n##FILTER=<ID=LowQual,Description=\"low\">\n")
        f.write("".join(f"##contig=<ID={c}>\n" for c in list(range(1, 23)) + ["X", "Y"]))
        f.write("##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from Ensembl VEP. "
                "Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature|gnomADe_AF\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        per_chrom = n // 24 + 1
        lines = []
        for i in range(n):
            chrom = i // per_chrom
            gene = genes[rng.randrange(len(genes))]
            af = f"{rng.random() ** 4:.4f}"  # most variants rare, as in an exome
            csq = ",".join(f"T|{c}|{imp}|{gene}|ENSG{i % 99999:05d}|ENST{i % 99999:05d}{t}|{af}"
                           for t, (c, imp) in enumerate(rng.sample(IMPACT_OF, 3)))
            filt = "LowQual" if rng.random() < 0.1 else "PASS"
            lines.append(f"{'X' if chrom == 22 else 'Y' if chrom == 23 else chrom + 1}\t{1000 + (i % per_chrom) * 10}\t.\tC\tT\t50\t{filt}\tCSQ={csq}\n")
            if len(lines) == 10_000:
                f.write("".join(lines))
                lines = []
        f.write("".join(lines))


_CHILD = """
import sys, time
from rft.vcf import read_vcf_genes
t0 = time.perf_counter()
found = read_vcf_genes(sys.argv[1])
print(time.perf_counter() - t0, len(found.genes), found.steps[0][1], found.n_problems)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variants", type=int, default=5_000_000)
    ap.add_argument("--work", default="runs/bench_vcf")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"synthetic_{args.variants}.vcf.gz"
    t0 = time.perf_counter()
    if not path.exists():
        write_vcf(path.with_suffix(".tmp"), args.variants)
        path.with_suffix(".tmp").rename(path)
    made = time.perf_counter() - t0
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True)
    seconds, genes, read, problems = proc.stdout.split()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size_mb = path.stat().st_size / 2**20
    print("| variants | file (gzip) | written in | read in | variants/s | peak memory (reader process) | candidate genes | problems |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {int(read):,} | {size_mb:.0f} MB | {made:.0f} s | {float(seconds):.0f} s | {int(read) / float(seconds):,.0f} | {peak_mb:.0f} MB | {genes} | {problems} |")


if __name__ == "__main__":
    main()
