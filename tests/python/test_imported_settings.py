"""Settings a pool's module imports from another module of the repository (extract/imported_values.py): a
pydantic-settings object's field defaults size the pool, decide which branch of an engine factory runs, and say that
a plugin loader looping over a statically empty list imports nothing (reach_python.py)."""

from __future__ import annotations

from test_reach_python import codes, engine, terms

CONFIG = """from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    DISABLE_POOL: bool = False
    POOL_SIZE: int = 7
    MAX_OVERFLOW: int = 3
    PLUGINS: list[str] = []


settings = Settings()
"""

DB = """import os
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import create_async_engine

from app.config import settings


def build_engine(url):
    if url.startswith("sqlite"):
        return create_async_engine(url, poolclass=pool.StaticPool)
    if settings.DISABLE_POOL:
        return create_async_engine(url, poolclass=pool.NullPool)
    return create_async_engine(url, pool_size=settings.POOL_SIZE, max_overflow=settings.MAX_OVERFLOW)


engine = build_engine(os.environ["DATABASE_URL"])
"""

MAIN = """from fastapi import FastAPI

from app import db
from app.config import settings


def start_app():
    for module in settings.PLUGINS:
        __import__(module).configure()
    return FastAPI()


app = start_app()
"""


def tree(**changes: str) -> dict[str, str]:
    files = {
        "requirements.txt": "fastapi\nsqlalchemy\npydantic-settings\n",
        "Procfile": "web: uvicorn app.main:app\n",
        "app/__init__.py": "",
        "app/config.py": CONFIG,
        "app/db.py": DB,
        "app/main.py": MAIN,
        "tools/reset.py": engine(50),  # nothing the server imports: counted only if the plugin loop were unfollowed
    }
    return {**files, **changes}


def test_pool_sizes_come_from_the_settings_class_another_module_defines(lint_tree):
    result = lint_tree(tree())
    assert terms(result) == [("Procfile (web)", "app/db.py", 1, 10)]
    (term,) = [term for budget in result.budgets for term in budget.terms]
    assert term.pool.max.location.path == "app/config.py"  # the default is cited where it is written


def test_a_branch_the_settings_turn_on_is_the_one_counted(lint_tree):
    result = lint_tree(
        tree(**{"app/config.py": CONFIG.replace("DISABLE_POOL: bool = False", "DISABLE_POOL: bool = True")})
    )
    assert [term[3] for term in terms(result)] == [float("inf")]


def test_a_plugin_loop_over_an_empty_settings_list_imports_nothing(lint_tree):
    result = lint_tree(tree())
    assert codes(result) == []


def test_a_plugin_list_the_environment_fills_cannot_be_followed(lint_tree):
    result = lint_tree(
        tree(**{"Procfile": "web: PLUGINS='[\"x\"]' uvicorn app.main:app\n", ".env": 'PLUGINS=["ext.plugin"]\n'})
    )
    assert codes(result) == ["PGC002"]
    assert "tools/reset.py" in {term[1] for term in terms(result)}


def test_a_settings_property_that_returns_a_constant_sizes_the_pool(lint_tree):
    """`@property def POOL_SIZE(self) -> int: return 4` on the settings class: 4; before, unknown (PGC110). One
    computed from `self` stays unknown, as before."""
    constant = "    @property\n    def POOL_SIZE(self) -> int:\n        return 4\n"
    config = CONFIG.replace("    POOL_SIZE: int = 7\n", "") + "\n"
    with_property = config.replace("\n\nsettings = Settings()", "\n" + constant + "\n\nsettings = Settings()")
    result = lint_tree(tree(**{"app/config.py": with_property}))
    assert terms(result) == [("Procfile (web)", "app/db.py", 1, 7)]  # 4 + MAX_OVERFLOW 3
    computed = with_property.replace("return 4", "return self.MAX_OVERFLOW * 2")
    result = lint_tree(tree(**{"app/config.py": computed}))
    assert [f for f in result.findings if f.code == "PGC110" and "settings.POOL_SIZE" in f.message]
