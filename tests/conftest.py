"""Test-wide settings."""

import os

# OpenMP threads that spin while waiting make torch and scikit-learn fits many times slower on a
# busy 2-core machine (CI); passive waiting costs nothing on an idle one. Set before any import.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
