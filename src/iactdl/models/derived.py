"""Placeholder, no code: the derived features are defined in :mod:`iactdl.features.derived`, the
source-dependence check in :mod:`iactdl.models.source_dependence`. This file exists only because
the hand-written ``src(...)`` lists in ``workflow/rules/*.smk`` name ``models.derived`` and fail on
a missing module; delete it with those lists (issue 19, part 1)."""
