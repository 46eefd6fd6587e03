"""Uncertainty that explains: global sensitivity (Sobol', Morris) and scenario discovery (PRIM).

- `redeploy.analysis.outcomes`: the outcomes of a sample table by name
  (``"Africa.military_bn"``, ``"total.released_kpe"``, ``"objective.value"``) and the
  ``--when`` expressions of `redeploy discover`;
- `redeploy.analysis.sensitivity`: SALib designs and indices;
- `redeploy.analysis.prim`: the Patient Rule Induction Method (Friedman and Fisher 1999),
  peeling and pasting, as RAND's scenario discovery uses it.

The samples themselves are solved by the sweep's machinery (`redeploy.model.sweep`,
`redeploy.workflows.sweep.solve_samples`); docs/uncertainty.md explains how to read it all.
"""
