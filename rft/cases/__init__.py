"""Patient cases: one `Case` type (`rft.cases.case`) and loaders for every supported source (`rft.cases.files`)."""

from rft.cases.case import Case, CaseBatch, Problem, case_from_phenopacket, case_from_record, case_to_record, write_jsonl
from rft.cases.files import SUPPORTED_SUFFIXES, load_cases, load_cases_from_bytes

__all__ = [
    "SUPPORTED_SUFFIXES", "Case", "CaseBatch", "Problem", "case_from_phenopacket", "case_from_record", "case_to_record",
    "load_cases", "load_cases_from_bytes", "write_jsonl",
]
