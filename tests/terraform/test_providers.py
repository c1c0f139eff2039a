"""Provider profiles: a `server-profile` such as "rds:db.t3.medium" gives the server the repository does not describe."""

from __future__ import annotations

import pytest

from pgconnlint.model import Location
from pgconnlint.providers import profile_server, rds_formula_value

WHERE = Location("pgconnlint.toml", 4)


def limits(profile: str) -> tuple:
    server = profile_server(profile, WHERE)
    defaults = server.defaults
    return tuple(
        defaults[name].value if name in defaults else None
        for name in ("max_connections", "superuser_reserved_connections", "reserved_connections")
    )


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ("rds:db.t3.medium", (450, 3, 2)),  # 4 GiB / 9531392
        ("rds:db.r5.2xlarge", (5000, 3, 2)),  # LEAST(…, 5000)
        ("aurora:db.r4.large", (1717, 3, None)),
        ("azure:Standard_D2ds_v4", (859, 15, 0)),
        ("azure:GP_Standard_D4s_v3", (1718, 15, 0)),
        ("azure:B1ms", (50, 15, 0)),
        ("neon:1", (419, 7, None)),
        ("neon:0.25", (104, 7, None)),
        ("neon:0.50", (209, 7, None)),
        ("supabase:small", (90, None, None)),
        ("supabase:XL", (240, None, None)),
        ("cloudsql:db-f1-micro", (25, None, None)),
    ],
)
def test_profile_limits(profile, expected):
    assert limits(profile) == expected


def test_profile_names_the_server_and_cites_the_table():
    server = profile_server("rds:db.t3.medium", WHERE)
    assert server.name == "profile rds:db.t3.medium"
    assert server.location == WHERE
    why = server.defaults["max_connections"].why
    assert "4 GiB = 4294967296 bytes" in why and "= 450" in why and "upper estimate" in why
    assert "RDS Proxy" in why
    assert "rds_superuser" in server.defaults["reserved_connections"].why


@pytest.mark.parametrize(
    ("profile", "pooler"),
    [("neon:2", "PgBouncer"), ("supabase:micro", "Supavisor"), ("azure:D2ds_v4", "PgBouncer")],
)
def test_profile_mentions_the_pooler(profile, pooler):
    assert pooler in profile_server(profile, WHERE).defaults["max_connections"].why


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ("rdss:db.t3.medium", "did you mean 'rds'"),
        ("rds:db.t3.mediun", "did you mean 'db.t3.medium'"),
        ("supabase:smal", "did you mean 'small'"),
        ("neon:", "names no size"),
        ("heroku:standard-0", "could not be verified"),
        ("cloudsql:db-custom-2-7680", "does not guess one"),
    ],
)
def test_unknown_provider_or_size_is_a_clear_error(profile, message):
    with pytest.raises(ValueError, match=message):
        profile_server(profile, WHERE)


def test_formula_forms():
    assert rds_formula_value("{DBInstanceClassMemory/9531392}", "db.t4g.small")[0] == 225
    assert rds_formula_value("GREATEST({DBInstanceClassMemory/9531392},300)", "db.t4g.micro")[0] == 300
    assert rds_formula_value("{DBInstanceClassMemory*3/4}", "db.t4g.micro")[0] == 3 * 1024**3 // 4
    assert rds_formula_value("{DBInstanceClassMemory/0}", "db.t4g.micro") is None
    assert rds_formula_value("LEAST({DBInstanceClassMemory/9531392}", "db.t4g.micro") is None
    assert rds_formula_value("{DBInstanceClassMemory/9531392}", "db.x9.huge") is None
