"""pm2 ecosystem files in every format pm2 reads."""

from __future__ import annotations

from pgconnlint.expr import evaluate
from pgconnlint.extract.pm2 import extract
from pgconnlint.model import Location


def _names(apps):
    return [evaluate(app.options.get("name"), {}).value for app in apps]


def test_module_exports_apps():
    text = 'module.exports = {\n  apps: [\n    { name: "api", instances: 4 },\n    { name: "worker" },\n  ],\n};\n'
    apps, problems = extract("ecosystem.config.js", text)
    assert problems == [] and _names(apps) == ["api", "worker"]
    assert apps[0].options.key_location("instances") == Location("ecosystem.config.js", 3, 20, 3, 29)


def test_esm_export_default():
    apps, _ = extract("ecosystem.config.mjs", 'export default { apps: [{ name: "api", script: "a.js" }] };')
    assert _names(apps) == ["api"]


def test_json_with_comments_and_trailing_commas_as_pm2_reads_it():
    text = '{\n  // the API\n  "apps": [\n    { "name": "api", "instances": "max", },\n  ],\n}\n'
    apps, problems = extract("process.json", text)
    assert problems == [] and _names(apps) == ["api"]
    assert apps[0].options.key_location("instances") == Location("process.json", 4, 22, 4, 33)


def test_json_first_line_columns_are_not_shifted_by_the_wrapper():
    apps, _ = extract("process.json", '{"apps": [{"name": "api", "instances": 2}]}')
    assert apps[0].options.key_location("instances") == Location("process.json", 1, 27, 1, 38)


def test_yaml_apps():
    text = "apps:\n  - name: api\n    script: dist/main.js\n    instances: 4\n    env_production:\n      DB_POOL: 20\n"
    apps, problems = extract("ecosystem.config.yml", text)
    assert problems == [] and _names(apps) == ["api"]
    assert apps[0].options.key_location("instances") == Location("ecosystem.config.yml", 4, 5)
    assert evaluate(apps[0].options.get("env_production.DB_POOL"), {}).value == 20


def test_single_app_object():
    apps, _ = extract("process.json", '{"name": "solo", "script": "index.js"}')
    assert _names(apps) == ["solo"]


def test_invalid_yaml_reports_line_and_column():
    apps, problems = extract("ecosystem.config.yml", "apps:\n  - name: api\n   bad: [\n")
    assert apps == [] and problems[0].location.line >= 3 and "invalid YAML" in problems[0].message


def test_yaml_alias_bomb_is_cut_off():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]")
    apps, problems = extract("ecosystem.config.yml", "\n".join(lines) + "\n")
    assert apps == [] and "more than" in problems[0].message


def test_yaml_tags_are_not_constructed(tmp_path):
    marker = tmp_path / "ran"
    text = f"apps:\n  - name: !!python/object/apply:os.system ['touch {marker}']\n    script: a.js\n"
    apps, problems = extract("ecosystem.config.yml", text)
    assert problems == [] and len(apps) == 1
    assert not marker.exists()
    assert evaluate(apps[0].options.get("name"), {}).value != 0  # kept as data, never called
