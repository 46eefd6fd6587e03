"""Monte Carlo sweeps, the model's side: the plan, one sample's LP, a batch of samples.

The client prepares a `SweepPlan` once (layers read, distances and zone-value ingredients
computed, the problem's structure built and solved at the central values) and scatters it
to every worker. Samples travel in batches: `run_batch` builds the `AllocationModel` once
per worker, and for each sample passes the sample's inputs with `AllocationModel.reload`
(which discards all solver state) and re-solves from the central solution's basis. Every
sample starts from that same state, so its result depends only on (seed, sample index):
not on the number of workers, the batch size or which samples a worker solved before.

The LP of a sweep has one flow variable for every (front, zone, asset) that basing access
allows; flows that a sample's own inputs would not create (nothing to release, no room or
no value) are fixed at zero, so each sample solves the same problem as `redeploy run` would
on that sample's scenario.

Workers import only numpy, pandas, pydantic, highspy and redeploy's model modules (never
folium). Scheduling on Dask and the files are `redeploy.workflows.sweep`'s.
"""

from redeploy.model.sweep.batch import (
    EPSILON,
    SUMMARY_COLUMNS,
    Fault,
    run_batch,
    summarize,
)
from redeploy.model.sweep.plan import SweepPlan, prepare_sweep
from redeploy.model.sweep.samples import (
    STATUS_OK,
    SampleArrays,
    SampleSolver,
    outcome,
    sample_arrays,
    sample_columns,
    sample_scenario,
)

__all__ = [
    "EPSILON",
    "STATUS_OK",
    "SUMMARY_COLUMNS",
    "Fault",
    "SampleArrays",
    "SampleSolver",
    "SweepPlan",
    "outcome",
    "prepare_sweep",
    "run_batch",
    "sample_arrays",
    "sample_columns",
    "sample_scenario",
    "summarize",
]
