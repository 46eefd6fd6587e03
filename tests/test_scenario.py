"""Scenario files: shipped scenarios, validation messages, extends, coefficients, schema."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from redeploy.errors import ScenarioError
from redeploy.scenario import (
    Scenario,
    coefficient_entries,
    effective_coefficients,
    list_scenarios,
    load_coefficients,
    load_scenario,
    scenario_json_schema,
)

SHIPPED = ("baseline", "nato-3.5-now", "hns-rise", "taiwan-5", "all-together", "no-repricing")


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenarios_load_and_state_assumptions(name):
    sc = load_scenario(name)
    assert sc.name == name
    assert sc.description.strip()
    assert sc.assumptions
    assert sc.reference_year == 2024
    assert set(SHIPPED) <= set(list_scenarios())


def test_baseline_states_the_announced_commitments():
    sc = load_scenario("baseline")
    text = " ".join(sc.assumptions)
    for needle in ("Hague", "Japan", "12th", "Taiwan"):
        assert needle in text
    assert sc.fronts["germany_rear_hub"].target_pct_gdp == 3.5
    assert sc.fronts["germany_rear_hub"].target_year == 2035
    assert load_scenario("no-repricing").fronts == {}


def test_extends_applies_bases_in_order():
    sc = load_scenario("all-together")
    assert sc.fronts["germany_rear_hub"].defense_pct_gdp == 3.5  # from nato-3.5-now
    assert sc.fronts["germany_rear_hub"].target_pct_gdp is None
    assert sc.fronts["korea"].hns_usd_bn == 5.0  # hns-rise replaces baseline's change
    assert sc.fronts["korea"].hns_change_pct is None
    assert sc.fronts["taiwan"].defense_pct_gdp == 5.0
    base = load_scenario("baseline")
    assert sc.assumptions[: len(base.assumptions)] == base.assumptions


def test_extends_relative_path_and_cycle(tmp_path):
    write(
        tmp_path,
        'description = "a"\nassumptions = ["A"]\n[fronts.x]\ndefense_pct_gdp = 2\n',
        "a.toml",
    )
    b = write(
        tmp_path,
        'extends = "a.toml"\ndescription = "b"\n[fronts.x]\n'
        "target_pct_gdp = 3\ntarget_year = 2030\n",
        "b.toml",
    )
    sc = load_scenario(b)
    assert sc.fronts["x"].target_pct_gdp == 3 and sc.fronts["x"].defense_pct_gdp is None
    assert sc.assumptions == ["A"]
    write(tmp_path, 'extends = "d.toml"\ndescription = "c"\n', "c.toml")
    d = write(tmp_path, 'extends = "c.toml"\ndescription = "d"\n', "d.toml")
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(d)


def test_unknown_key_names_file_key_and_suggestion(tmp_path):
    path = write(tmp_path, 'description = "x"\n[fronts.korea]\ndefence_pct_gdp = 3.0\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert str(path) in msg
    assert "unknown key 'fronts.korea.defence_pct_gdp'" in msg
    assert "Did you mean 'fronts.korea.defense_pct_gdp'?" in msg


def test_unknown_region_is_refused_with_the_region_names(tmp_path):
    path = write(tmp_path, 'description = "x"\n[regions.Afrika]\nfloor = 1\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert "unknown key 'regions.Afrika'" in msg and "'regions.Africa'" in msg
    assert "Southeast Asia" in msg


def test_unknown_asset_is_refused(tmp_path):
    path = write(tmp_path, 'description = "x"\n[assets.navy]\nsplit = 0.1\n')
    with pytest.raises(ScenarioError, match=r"unknown key 'assets\.navy'.*'assets\.naval'"):
        load_scenario(path)


def test_out_of_range_value_names_key_value_and_allowed(tmp_path):
    path = write(tmp_path, 'description = "x"\n[fronts.korea]\ndefense_pct_gdp = 40\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert "key 'fronts.korea.defense_pct_gdp' = 40" in msg
    assert "Allowed: a number >= 0 and <= 25" in msg


def test_several_problems_are_reported_together(tmp_path):
    path = write(
        tmp_path,
        'description = "x"\nhorizon_year = 1999\n[zones.idn]\n'
        'access = "partial"\n[model]\nsegment_shares = [0.5, 0.6]\n',
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert "horizon_year" in msg
    assert "zones.idn.access" in msg and "'none', 'limited' or 'full'" in msg
    assert "segment shares must add up to 1" in msg


def test_conflicting_front_settings(tmp_path):
    path = write(
        tmp_path,
        'description = "x"\n[fronts.korea]\ndefense_pct_gdp = 3\n'
        "target_pct_gdp = 3\ntarget_year = 2030\n",
    )
    with pytest.raises(ScenarioError, match="either defense_pct_gdp"):
        load_scenario(path)


def test_unknown_scenario_name_lists_shipped():
    with pytest.raises(ScenarioError) as err:
        load_scenario("baselin")
    msg = str(err.value)
    assert "unknown scenario 'baselin'" in msg
    assert "Did you mean 'baseline'?" in msg
    for name in SHIPPED:
        assert name in msg


def test_bad_toml(tmp_path):
    path = write(tmp_path, 'description = "x\n')
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(path)


def test_missing_file():
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario("nowhere/missing.toml")


def test_scenario_is_frozen():
    sc = load_scenario("baseline")
    with pytest.raises(ValueError, match="frozen"):
        sc.horizon_year = 2040


def test_json_schema_describes_the_tables():
    schema = scenario_json_schema()
    json.dumps(schema)
    assert schema["additionalProperties"] is False
    for key in ("fronts", "zones", "regions", "model", "assets", "horizon_year"):
        assert key in schema["properties"]
    regions = schema["$defs"]["RegionsSection"]["properties"]
    assert "Southeast Asia" in regions


def test_coefficients_are_complete_and_sourced():
    coeffs = load_coefficients()
    assert coeffs.model.risk_lambda is not None
    for asset in ("naval", "air", "ground", "isr", "engagement"):
        section = getattr(coeffs.assets, asset)
        assert section.us_unit_cost_bn and section.ally_unit_cost_bn
    entries = coefficient_entries()
    assert entries
    for entry in entries:
        assert entry.unit and entry.source
    ground = {e.key: e for e in entries}["assets.ground.us_unit_cost_bn"]
    assert ground.value == pytest.approx(0.30)
    assert "CBO" in ground.source and "fully burdened" in ground.source


def test_scenario_overrides_coefficients():
    sc = Scenario.model_validate(
        {
            "name": "x",
            "description": "x",
            "model": {"risk_lambda": 2.5},
            "assets": {"naval": {"fit": {"minerals": 0.5}}},
        }
    )
    eff = effective_coefficients(sc)
    assert eff.model.risk_lambda == 2.5
    assert eff.assets.naval.fit.minerals == 0.5
    assert eff.assets.naval.fit.chokepoints == load_coefficients().assets.naval.fit.chokepoints


def test_segment_lengths_must_match(tmp_path):
    path = write(tmp_path, 'description = "x"\n[model]\nsegment_shares = [0.5, 0.5]\n')
    with pytest.raises(ScenarioError, match="segment_slopes"):
        effective_coefficients(load_scenario(path))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('description = "x"\nfronts = [1, 2]\n', "key 'fronts' = [1, 2]: must be a table"),
        ('description = "x"\nzones = "idn"\n', "key 'zones' = 'idn': must be a table"),
        ('extends = "baseline"\nregions = [1]\n', "key 'regions' = [1]: must be a table"),
        ('extends = "baseline-uncertain"\nuncertain = [1]\n', "key 'uncertain' = [1]"),
        ('description = "x"\nassumptions = "one"\n', "must be a list of strings"),
        ('extends = "baseline"\nassumptions = [1]\n', "key 'assumptions[0]' = 1"),
        (
            'extends = "baseline"\n[fronts.korea]\ndefense_pct_gdp = "3.0"\n',
            "key 'fronts.korea.defense_pct_gdp' = '3.0': give a number (unquoted in TOML), "
            "not a string. Allowed: a number >= 0 and <= 25.",
        ),
        ('extends = "baseline"\nhorizon_year = "2030"\n', "give an integer"),
        ('extends = "baseline"\n[model]\nrisk_lambda = true\n', "not true/false"),
        ('extends = "baseline"\n[model]\nsplit_shared_hosts = 1\n', "give true or false"),
        (
            'extends = "baseline"\n[model]\nsegment_shares = ["0.5", 0.5]\n',
            "give a list of numbers (unquoted in TOML); item 0 is a string",
        ),
    ],
)
def test_wrong_toml_types_are_refused_naming_file_and_key(tmp_path, text, needle):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(path) in str(info.value)
    assert needle in str(info.value)


def test_wrong_type_in_a_base_names_the_base(tmp_path):
    write(tmp_path, 'description = "b"\nfronts = 3\n', "base.toml")
    top = write(tmp_path, 'extends = "base.toml"\n', "top.toml")
    with pytest.raises(ScenarioError, match=r"base\.toml: key 'fronts' = 3"):
        load_scenario(top)


def test_a_file_that_is_not_utf8_text_is_refused(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes(b"\xff\xfe\x00 not text")
    with pytest.raises(ScenarioError, match="not a TOML text file"):
        load_scenario(path)


# ------------------------------------------------------------------ schema against files

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTED = ("README.md", "docs/model.md", "docs/sweeps.md")


def documented_scenarios() -> list[tuple[str, str]]:
    """Return ``(where, text)`` of every ```toml block of the README and the docs."""
    found = []
    for doc in DOCUMENTED:
        text = (ROOT / doc).read_text(encoding="utf-8")
        for k, match in enumerate(re.finditer(r"```toml\n(.*?)```", text, re.S)):
            found.append((f"{doc}#{k}", match.group(1)))
    return found


def scenario_files() -> list[tuple[str, dict]]:
    files = [
        (p.name, tomllib.loads(p.read_text(encoding="utf-8")))
        for p in sorted((ROOT / "scenarios").glob("*.toml"))
    ]
    docs = [(where, tomllib.loads(text)) for where, text in documented_scenarios()]
    return files + docs


def test_the_readme_has_an_example_scenario_and_it_loads(tmp_path):
    examples = documented_scenarios()
    assert any(where.startswith("README.md") for where, _ in examples)
    for k, (where, text) in enumerate(examples):
        if where.startswith("docs/sweeps.md"):
            continue  # the shipped baseline-uncertain.toml, shown in part
        path = write(tmp_path, text, f"example-{k}.toml")
        assert load_scenario(path).description, where


def test_schema_requires_only_what_a_file_must_state():
    schema = scenario_json_schema()
    # name defaults to the file name, description comes with `extends`
    assert "name" not in schema.get("required", [])
    assert "description" not in schema.get("required", [])
    assert {"required": ["description"]} in schema["anyOf"]
    assert {"required": ["extends"]} in schema["anyOf"]
    for where, data in scenario_files():
        assert set(schema.get("required", [])) <= set(data), where
        assert "description" in data or "extends" in data, where


def test_every_shipped_and_documented_scenario_passes_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    files = scenario_files()
    assert len(files) >= 8
    for where, data in files:
        problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
        assert not problems, (where, problems)
    assert not validator.is_valid({"assumptions": ["neither description nor extends"]})
    assert not validator.is_valid({"description": "x", "horizon_year": 1999})


def test_shipped_scenarios_are_listed_by_name():
    names = list(list_scenarios())
    assert names == sorted(names)
    assert names.index("baseline") < names.index("baseline-uncertain")


# ------------------------------------------------------------------ message wording


def test_a_file_name_that_is_not_a_name_is_explained(tmp_path):
    path = write(tmp_path, 'description = "x"\n', "My Scenario!.toml")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: the file has no 'name' key")
    assert "named after the file: 'My Scenario!' is not a valid scenario name" in msg
    assert "lower-case letters, digits and . _ -, starting with a letter or digit" in msg
    assert 'Add name = "my-scenario" to the file, or rename the file' in msg
    assert "String should match pattern" not in msg
    path.write_text('name = "mine"\ndescription = "x"\n', encoding="utf-8")
    assert load_scenario(path).name == "mine"


def test_an_explicit_bad_name_is_explained_in_plain_words(tmp_path):
    path = write(tmp_path, 'name = "My Case"\ndescription = "x"\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert f"{path}: key 'name' = 'My Case': not a valid scenario name." in msg
    assert "Allowed: lower-case letters, digits and . _ -, starting with a letter or digit" in msg
    assert "pattern" not in msg


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b'\xef\xbb\xbfextends = "baseline"\nhorizon_year = 2031\n')
    sc = load_scenario(path)
    assert sc.name == "bom" and sc.horizon_year == 2031


@pytest.mark.parametrize("name", ["folder.toml", "folder"])
def test_a_directory_is_not_a_scenario_file(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()
    for arg in (folder, str(folder) + "/"):
        with pytest.raises(ScenarioError) as err:
            load_scenario(arg)
        msg = str(err.value)
        assert "is a directory" in msg and ".toml file" in msg
        assert "not found" not in msg


def test_a_directory_named_like_a_scenario_is_refused_as_such(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mycase").mkdir()
    with pytest.raises(ScenarioError, match="mycase: is a directory"):
        load_scenario("mycase")
    (tmp_path / "baseline").mkdir()
    assert load_scenario("baseline").name == "baseline"  # shipped names come first


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            "[fronts.korea]\ndefense_pct_gdp = nan\n",
            "key 'fronts.korea.defense_pct_gdp' = nan: NaN is not allowed: a number is required",
        ),
        ("[fronts.korea]\nthreat_level = nan\n", "NaN is not allowed"),
        ("[regions.Africa]\nfloor = nan\n", "key 'regions.Africa.floor' = nan: NaN is not"),
        ("[model]\nsegment_shares = [nan, 1.0]\n", "NaN is not allowed: a number is required"),
        (
            "[fronts.korea]\ngdp_usd_bn = inf\n",
            "key 'fronts.korea.gdp_usd_bn' = inf: inf is not allowed: a finite number",
        ),
    ],
)
def test_nan_and_inf_are_refused(tmp_path, text, needle):
    path = write(tmp_path, 'extends = "baseline"\n' + text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert str(path) in msg and needle in msg
    assert "less than or equal" not in msg and "greater than or equal" not in msg


def test_scenario_modules_import_only_earlier_ones():
    """The package's modules form layers (no cycle): each imports only those before it."""
    import ast

    order = [
        "fields",
        "messages",
        "distributions",
        "parameters",
        "sampling",
        "tables",
        "coefficient_models",
        "models",
        "uncertain",
        "toml_limits",
        "loading",
        "coefficients",
    ]
    folder = Path(__file__).resolve().parent.parent / "redeploy" / "scenario"
    assert sorted(p.stem for p in folder.glob("*.py")) == sorted([*order, "__init__"])
    for i, name in enumerate(order):
        tree = ast.parse((folder / f"{name}.py").read_text(encoding="utf-8"))
        modules = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        prefix = "redeploy.scenario."
        imported = {m.removeprefix(prefix) for m in modules if m.startswith(prefix)}
        assert "redeploy.scenario" not in modules, name  # the package imports every module
        assert imported <= set(order[:i]), (name, imported - set(order[:i]))
