"""Scenarios: typed scenario files, the model's default coefficients and ``[uncertain]`` tables.

One job per module, imported in this order (each imports only those above it):

- `fields`: field types (ids, names) and what a model's fields declare (keys, bounds);
- `messages`: pydantic errors as lines naming the file, the key, the value and the fix;
- `distributions`: the distribution tables, one pydantic model per kind, and quantiles;
- `parameters`: dotted paths to numeric keys, checks of ``[uncertain]``, setting values;
- `sampling`: seeded uniform numbers (random, Latin hypercube, Sobol') and draws;
- `models`: the frozen `Scenario` and its tables;
- `uncertain`: the ``[uncertain]`` checks bound to `Scenario`;
- `loading`: shipped scenarios, TOML files, ``extends``;
- `coefficients`: the defaults in ``redeploy/data/coefficients.toml``.
"""

from redeploy.scenario.coefficient_models import (
    AssetSection,
    AssetsSection,
    CoefficientSet,
    ModelSection,
)
from redeploy.scenario.coefficients import (
    COEFFICIENTS_FILE,
    Coefficient,
    coefficient_entries,
    coefficients_digest_payload,
    effective_coefficients,
    load_coefficients,
    prior_coefficients,
)
from redeploy.scenario.distributions import (
    DIST_KEYS,
    Choice,
    Distribution,
    DistributionTable,
    Triangular,
    TruncNormal,
    Uniform,
    parse_distribution,
)
from redeploy.scenario.fields import ScenarioName, Slug, unwrap_annotation
from redeploy.scenario.loading import (
    list_scenarios,
    load_scenario,
    merge_scenario_data,
    read_toml,
    resolve_scenario_path,
    scenario_from_dict,
    scenario_json_schema,
    shipped_scenarios_dir,
)
from redeploy.scenario.messages import format_validation_error
from redeploy.scenario.models import (
    REFERENCE_YEAR,
    FrontOverride,
    HomeSection,
    RegionOverride,
    RegionsSection,
    Scenario,
    UncertainTable,
    ZoneOverride,
)
from redeploy.scenario.parameters import (
    Parameter,
    ParameterSpace,
    apply_values,
    deep_merge,
    set_parameter,
    split_path,
)
from redeploy.scenario.sampling import (
    SAMPLING_METHODS,
    SamplingMethod,
    path_key,
    sample_design,
    sample_parameters,
    uniforms,
)
from redeploy.scenario.tables import (
    VALUE_KINDS,
    FitRow,
    LayerWeights,
    PerAssetAmount,
    PerAssetShare,
)
from redeploy.scenario.uncertain import (
    SCENARIO_PARAMETERS,
    apply_central,
    distributions,
    merge_uncertain,
    parse_uncertain,
    resolve_parameter,
    validate_uncertain,
)
from redeploy.schemas import RISK_CHANNELS

__all__ = [
    "COEFFICIENTS_FILE",
    "DIST_KEYS",
    "REFERENCE_YEAR",
    "RISK_CHANNELS",
    "SAMPLING_METHODS",
    "SCENARIO_PARAMETERS",
    "VALUE_KINDS",
    "AssetSection",
    "AssetsSection",
    "Choice",
    "Coefficient",
    "CoefficientSet",
    "Distribution",
    "DistributionTable",
    "FitRow",
    "FrontOverride",
    "HomeSection",
    "LayerWeights",
    "ModelSection",
    "Parameter",
    "ParameterSpace",
    "PerAssetAmount",
    "PerAssetShare",
    "RegionOverride",
    "RegionsSection",
    "SamplingMethod",
    "Scenario",
    "ScenarioName",
    "Slug",
    "Triangular",
    "TruncNormal",
    "UncertainTable",
    "Uniform",
    "ZoneOverride",
    "apply_central",
    "apply_values",
    "coefficient_entries",
    "coefficients_digest_payload",
    "deep_merge",
    "distributions",
    "effective_coefficients",
    "format_validation_error",
    "list_scenarios",
    "load_coefficients",
    "load_scenario",
    "merge_scenario_data",
    "merge_uncertain",
    "parse_distribution",
    "parse_uncertain",
    "path_key",
    "prior_coefficients",
    "read_toml",
    "resolve_parameter",
    "resolve_scenario_path",
    "sample_design",
    "sample_parameters",
    "scenario_from_dict",
    "scenario_json_schema",
    "set_parameter",
    "shipped_scenarios_dir",
    "split_path",
    "uniforms",
    "unwrap_annotation",
    "validate_uncertain",
]
