"""Test-wide settings."""

import iactdl  # noqa: F401  (first: it sets OMP_WAIT_POLICY before torch or scikit-learn load)
