"""rft: cases, the top-k rank grader, rankers, the gene-ranking model and its reinforcement fine-tuning."""

from rft.cases import Case, CaseBatch, Problem, load_cases, load_cases_from_bytes, write_jsonl
from rft.grader import GRADERS, Grade, TopKRankGrader, grade, parse_gene_list, rank_of, score_rank
from rft.metrics import summarize

__all__ = [
    "GRADERS",
    "Case",
    "CaseBatch",
    "Grade",
    "Problem",
    "TopKRankGrader",
    "grade",
    "load_cases",
    "load_cases_from_bytes",
    "parse_gene_list",
    "rank_of",
    "score_rank",
    "summarize",
    "write_jsonl",
]
