"""Plain links out for a gene or a disease to the resources a clinical geneticist checks next.

    from rft.links import gene_links, disease_links
    gene_links("FBN1")["ClinVar"]          # 'https://www.ncbi.nlm.nih.gov/clinvar/?term=FBN1%5Bgene%5D'
    disease_links("OMIM:154700")["OMIM"]   # 'https://omim.org/entry/154700'

Nothing is fetched: these are URLs built from the symbol or id, opened by the user's browser.
"""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["GENE_RESOURCES", "disease_links", "gene_links"]

GENE_RESOURCES = ("OMIM", "GeneReviews", "ClinVar", "gnomAD", "HGNC", "Monarch")


def gene_links(symbol: str) -> dict[str, str]:
    """Resource name -> URL for a gene symbol, in the order of `GENE_RESOURCES`."""
    s = quote(symbol)
    return {
        "OMIM": f"https://omim.org/search?search={s}",
        "GeneReviews": f"https://www.ncbi.nlm.nih.gov/books/NBK1116/?term={s}",
        "ClinVar": f"https://www.ncbi.nlm.nih.gov/clinvar/?term={quote(symbol + '[gene]')}",
        "gnomAD": f"https://gnomad.broadinstitute.org/gene/{s}?dataset=gnomad_r4",
        "HGNC": f"https://www.genenames.org/tools/search/#!/?query={s}",
        "Monarch": f"https://monarchinitiative.org/search?q={s}",
    }


def disease_links(disease_id: str) -> dict[str, str]:
    """Resource name -> URL for an `OMIM:` or `ORPHA:` id (Monarch for both; OMIM or Orphanet for its own); for a
    gene's case reports (`CASES:<gene>`, rft.case_knowledge), PubMed's search for the gene."""
    prefix, _, number = disease_id.partition(":")
    if prefix == "CASES":
        return {"PubMed": f"https://pubmed.ncbi.nlm.nih.gov/?term={quote(number)}"}
    links = {}
    if prefix == "OMIM":
        links["OMIM"] = f"https://omim.org/entry/{quote(number)}"
    elif prefix == "ORPHA":
        links["Orphanet"] = f"https://www.orpha.net/en/disease/detail/{quote(number)}"
    links["Monarch"] = f"https://monarchinitiative.org/search?q={quote(disease_id)}"
    return links
