"""symrnn: machine-checked backpropagation through time."""
from __future__ import annotations

from .errors import FormulaError, SymRNNError
from .spec import RNNSpec

__version__ = "0.1.0"

__all__ = ["FormulaError", "RNNSpec", "SymRNNError", "__version__"]
