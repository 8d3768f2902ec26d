"""implreg from Python: the `implreg` command comes with this package (`pip install .`), and so do
two small helpers that need nothing beyond the standard library:

- `implreg.protocol`: what a training program run by a claim's `external` run reads and writes
  (docs/external.md);
- `implreg.report`: a JSON report (`implreg check --format json`) as plain Python objects.
"""

from . import protocol, report

__all__ = ["protocol", "report"]
