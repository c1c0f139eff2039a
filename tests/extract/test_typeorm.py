"""TypeORM options are found where TypeORM and NestJS read them, with locations, and left unevaluated."""

from __future__ import annotations

from pgconnlint.expr import EnvVar, Logical, evaluate
from pgconnlint.extract.typeorm import config_from_environment, extract_code, extract_ormconfig
from pgconnlint.model import EnvBinding, Location


def test_ormconfig_json_keeps_key_and_value_locations():
    configs, problems = extract_ormconfig("ormconfig.json", '{\n  "type": "postgres",\n  "extra": { "max": 4 }\n}\n')
    assert problems == []
    [config] = configs
    assert config.from_ormconfig and config.location == Location("ormconfig.json", 1, 1, 4, 2)
    assert config.options.key_location("type") == Location("ormconfig.json", 2, 3, 2, 9)
    assert evaluate(config.options.get("extra.max"), {}).location.line == 3


def test_ormconfig_js_array_of_named_connections():
    text = (
        'module.exports = [\n  { name: "default", type: "postgres" },\n  { name: "reporting", type: "postgres" },\n];\n'
    )
    configs, _ = extract_ormconfig("ormconfig.js", text)
    assert [evaluate(c.options.get("name"), {}).value for c in configs] == ["default", "reporting"]


def test_ormconfig_ts_export_default():
    configs, _ = extract_ormconfig(
        "ormconfig.ts", 'const config = { type: "postgres" as const };\nexport default config;\n'
    )
    assert evaluate(configs[0].options.get("type"), {}).value == "postgres"


def test_ormconfig_yaml_map_of_connections():
    text = "default:\n  type: postgres\n  synchronize: true\nsecond:\n  type: postgres\n  extra:\n    max: 3\n"
    configs, problems = extract_ormconfig("ormconfig.yml", text)
    assert problems == [] and len(configs) == 2
    assert configs[0].options.key_location("synchronize") == Location("ormconfig.yml", 3, 3)
    assert evaluate(configs[1].options.get("extra.max"), {}).value == 3


def test_ormconfig_env_lets_the_process_environment_win():
    configs, _ = extract_ormconfig("ormconfig.env", "TYPEORM_CONNECTION=postgres\nTYPEORM_SYNCHRONIZE=true\n")
    sync = configs[0].options.get("synchronize")
    assert evaluate(sync, {}).value is True
    overriding = {"TYPEORM_SYNCHRONIZE": EnvBinding("TYPEORM_SYNCHRONIZE", "false", Location("x", 1), "pm2")}
    assert evaluate(sync, overriding).value is False


def test_ormconfig_env_without_connection_is_not_a_config():
    assert extract_ormconfig("ormconfig.env", "TYPEORM_SYNCHRONIZE=true\n") == ([], [])


def test_typeorm_variables_in_the_environment_make_a_config_with_json_extra():
    env = {
        name: EnvBinding(name, value, Location(".env", line), ".env")
        for line, (name, value) in enumerate(
            [("TYPEORM_CONNECTION", "postgres"), ("TYPEORM_DRIVER_EXTRA", '{"max": 7}')], start=1
        )
    }
    config = config_from_environment(env)
    assert evaluate(config.options.get("extra"), env).value == {"max": 7}


def test_new_datasource_and_nest_forroot_in_code():
    text = """
import { DataSource } from "typeorm";
export const a = new DataSource({ type: "postgres", poolSize: 5 });
@Module({ imports: [TypeOrmModule.forRoot({ type: "postgres", synchronize: false }), TypeOrmModule.forRoot()] })
export class AppModule {}
"""
    configs, problems = extract_code("src/app.module.ts", text)
    assert problems == []
    assert [c.source for c in configs] == ["DataSource(…)", "TypeOrmModule.forRoot(…)", "TypeOrmModule.forRoot(…)"]
    assert [c.reads_ormconfig for c in configs] == [False, False, True]
    assert configs[0].location == Location("src/app.module.ts", 3, 33, 3, 66)


def test_forrootasync_factory_with_config_service_and_block_body():
    text = """
TypeOrmModule.forRootAsync({
  inject: [ConfigService],
  useFactory: async (config: ConfigService) => {
    const unused = 1;
    return { type: "postgres", extra: { max: config.get<number>("DB_POOL_MAX", 10) } };
  },
});
"""
    [config], _ = extract_code("app.module.ts", text)
    pool = config.options.get("extra.max")
    assert isinstance(pool, Logical) and isinstance(pool.left, EnvVar) and pool.left.name == "DB_POOL_MAX"
    assert evaluate(pool, {}).value == 10


def test_unrelated_calls_named_like_typeorm_are_ignored():
    configs, _ = extract_code("x.ts", "const d = new Date(); something.forRoot({ type: 'postgres' }); DataSource;")
    assert configs == []


def test_syntax_error_is_a_problem_with_a_location_not_an_exception():
    configs, problems = extract_ormconfig("ormconfig.js", "module.exports = { type: 'postgres', max: };\n")
    assert [p.location.line for p in problems] == [1] and "syntax error" in problems[0].message
