"""Collection rules for the whole repository (the fixtures live in tests/conftest.py)."""

import importlib.util

# rft/pheval_runner.py is the optional PhEval extra: without PhEval installed its import fails by design (with an
# install hint), so --doctest-modules skips it instead of erroring; tests/rft/test_pheval_runner.py says why it skips.
collect_ignore = [] if importlib.util.find_spec("pheval") else ["rft/pheval_runner.py"]
