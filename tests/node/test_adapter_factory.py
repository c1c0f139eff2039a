"""A Prisma 7 driver adapter made by a factory function, often in another module: `const { adapter } =
makeAdapter()` then `new PrismaClient({ adapter })`. The pool is the one the `new PrismaPg({...})` the factory
returns opens, sized where the factory computes it (here from a URL parameter, else a CPU-based default)."""

from __future__ import annotations

import json

import pytest

FACTORY_TS = """import { PrismaPg } from "@prisma/adapter-pg";
import os from "node:os";

const asLimit = (value: string | null): number | undefined => {
  if (value === null) return undefined;
  const n = Number.parseInt(value, 10);
  return n > 0 ? n : undefined;
};

const FALLBACK_LIMIT = Math.max(2 * os.cpus().length + 1, 2);

export function makeAdapter(url = process.env.DATABASE_URL) {
  if (!url) {
    throw new Error("no DATABASE_URL");
  }
  const parsed = new URL(url);
  const limit = asLimit(parsed.searchParams.get("pool_size")) ?? FALLBACK_LIMIT;
  const options = { connectionString: url, max: limit };
  return { adapter: new PrismaPg(options), url };
}
"""

FIXED_JS = """const { PrismaPg } = require("@prisma/adapter-pg");
const makeAdapter = () => new PrismaPg({ connectionString: process.env.DATABASE_URL, max: 7 });
module.exports = { makeAdapter };
"""

CLIENT_DESTRUCTURED = """import { PrismaClient } from "@prisma/client";
import { makeAdapter } from "./adapter";

const build = () => {
  const { adapter } = makeAdapter();
  return new PrismaClient({ adapter });
};

export const db = globalThis.db ?? build();
"""
CLIENT_MEMBER = """import { PrismaClient } from "@prisma/client";
import { makeAdapter as adapterFor } from "./adapter";

export const db = new PrismaClient({ adapter: adapterFor().adapter });
"""
CLIENT_BOUND_MEMBER = """import { PrismaClient } from "@prisma/client";
import { makeAdapter } from "./adapter";

const adapter = makeAdapter().adapter;
export const db = new PrismaClient({ adapter });
"""
CLIENT_DIRECT_JS = """const { PrismaClient } = require("@prisma/client");
const { makeAdapter } = require("./adapter");

const adapter = makeAdapter();
module.exports = new PrismaClient({ adapter });
"""
CLIENT_SAME_MODULE = """import { PrismaClient } from "@prisma/client";
import { PrismaPg } from "@prisma/adapter-pg";

function createAdapter() {
  const max = 6;
  return { adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL, max }) };
}

const { adapter } = createAdapter();
export const db = new PrismaClient({ adapter });
"""


def _tree(client: str, factory: str | None = FACTORY_TS, env: str | None = "postgresql://u@db/app") -> dict[str, str]:
    extension = "js" if "require(" in client else "ts"
    files = {
        "package.json": json.dumps(
            {
                "name": "web",
                "scripts": {"start": f"node src/main.{extension}"},
                "dependencies": {"@prisma/client": "^7", "@prisma/adapter-pg": "^7", "pg": "^8"},
            }
        ),
        f"src/main.{extension}": "require('./client');\n" if extension == "js" else "import { db } from './client';\n",
        f"src/client.{extension}": client,
    }
    if factory is not None:
        files[f"src/adapter.{'js' if 'require(' in factory else 'ts'}"] = factory
    if env is not None:
        files[".env"] = f"DATABASE_URL={env}\n"
    return files


def _pool(result):
    [term] = result.budgets[0].terms
    return term.pool


@pytest.mark.parametrize(
    "client", [CLIENT_DESTRUCTURED, CLIENT_MEMBER, CLIENT_BOUND_MEMBER], ids=["destructured", "member", "bound-member"]
)
def test_the_factory_default_sizes_the_pool_when_the_url_lacks_the_parameter(lint_tree, client):
    result = lint_tree(_tree(client), cpus=4)
    pool = _pool(result)
    assert pool.max.value == 9  # 2 × 4 CPUs + 1
    assert "the URL has no pool_size parameter" in pool.max.via
    assert pool.max.location.path == "src/adapter.ts"
    assert "makeAdapter" in pool.label or "adapterFor" in pool.label
    [cpus] = [f for f in result.findings if f.code == "PGC301"]  # the size follows the host's CPUs
    assert (cpus.location.path, cpus.location.line) == ("src/adapter.ts", 10)
    assert "4 CPUs (given) = 9 connections per process" in cpus.message


def test_the_url_parameter_is_not_guessed_through_a_function_not_read(lint_tree):
    result = lint_tree(_tree(CLIENT_DESTRUCTURED, env="postgresql://u@db/app?pool_size=3"))
    pool = _pool(result)
    assert pool.max.reason == "asLimit() is a function pgconnlint does not read"  # its body is not read


def test_an_unset_url_takes_the_fallback_and_says_so(lint_tree):
    # the convention for a variable the repository never sets (pgconnlint/expr.py `_url_param`): `??` looks past it
    result = lint_tree(_tree(CLIENT_DESTRUCTURED, env=None), cpus=4)
    pool = _pool(result)
    assert pool.max.value == 9
    assert "DATABASE_URL is not set in the repository, so the fallback `Math.max(" in pool.max.via


def test_a_factory_returning_the_adapter_itself_in_a_js_module(lint_tree):
    result = lint_tree(_tree(CLIENT_DIRECT_JS, factory=FIXED_JS))
    assert _pool(result).max.value == 7


def test_a_factory_of_the_same_module(lint_tree):
    result = lint_tree(_tree(CLIENT_SAME_MODULE, factory=None))
    assert _pool(result).max.value == 6


def test_a_factory_with_two_returns_stays_unknown(lint_tree):
    branching = FIXED_JS.replace(
        "const makeAdapter = () => new PrismaPg(",
        "const makeAdapter = () => { if (process.env.X) return new PrismaPg({ max: 2 }); return new PrismaPg(",
    ).replace("max: 7 });", "max: 7 }); };")
    result = lint_tree(_tree(CLIENT_DIRECT_JS, factory=branching))
    [finding] = [f for f in result.findings if f.code == "PGC110"]
    assert "built elsewhere" in finding.message
