"""A NestJS PrismaService that builds its own node-postgres pool from a URL it parses itself, and is also built with
`new` outside dependency injection (a module-level singleton of a helper the app loads)."""

from __future__ import annotations

import json

SERVICE = """import { Injectable } from '@nestjs/common';
import { PrismaClient } from './generated/client';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { parseIntSafe } from './utils';

@Injectable()
export class PrismaService extends PrismaClient {
  constructor() {
    const databaseUrl = process.env.DATABASE_URL;
    const parsed = PrismaService.parseUrl(databaseUrl);
    const pool = new pg.Pool({
      connectionString: parsed.connectionString,
      max: parsed.connectionLimit ?? 20,
      connectionTimeoutMillis: parsed.connectTimeout ?? 10000,
    });
    super({ adapter: new PrismaPg(pool) });
  }

  private static parseUrl(databaseUrl: string) {
    try {
      const url = new URL(databaseUrl);
      const connectionLimit = parseIntSafe(url.searchParams.get('connection_limit'));
      const connectTimeout = parseIntSafe(url.searchParams.get('connect_timeout'));
      url.searchParams.delete('connection_limit');
      return { connectionString: url.toString(), connectionLimit, connectTimeout };
    } catch (error) {
      throw new Error('bad DATABASE_URL');
    }
  }
}
"""
MODULE = """import { Global, Module } from '@nestjs/common';
import { PrismaService } from './prisma.service';
@Global()
@Module({ providers: [PrismaService], exports: [PrismaService] })
export class PrismaModule {}
"""
HELPER = """import { PrismaService } from './prisma.service';
let shared: PrismaService | null = null;
export function sharedPrisma(): PrismaService {
  if (!shared) {
    shared = new PrismaService();
  }
  return shared;
}
"""
MAIN = "import { PrismaModule } from './prisma.module';\nimport { sharedPrisma } from './helper';\nconsole.log(PrismaModule, sharedPrisma);\n"


def tree(url: str, helper: bool = True) -> dict[str, str]:
    files = {
        "package.json": json.dumps(
            {"name": "api", "scripts": {"start": "node dist/main.js"}, "dependencies": {"pg": "^8"}}
        ),
        "src/main.ts": MAIN if helper else "import { PrismaModule } from './prisma.module';\n",
        "src/prisma.service.ts": SERVICE,
        "src/prisma.module.ts": MODULE,
        "src/helper.ts": HELPER,
        "src/utils.ts": "export function parseIntSafe(v) { if (!v) return undefined; return parseInt(v, 10); }\n",
        ".env": f"DATABASE_URL={url}\n",
    }
    return files


def test_the_fallback_of_a_url_parameter_the_url_lacks_sizes_the_pool(lint_tree):
    result = lint_tree(tree("postgresql://u@db/app?connect_timeout=300", helper=False))
    [term] = result.budgets[0].terms
    assert term.pool.max.value == 20
    assert "the URL has no connection_limit parameter" in term.pool.max.via


def test_a_url_parameter_the_url_sets_is_not_guessed_through_a_function_not_read(lint_tree):
    result = lint_tree(tree("postgresql://u@db/app?connection_limit=5", helper=False))
    [term] = result.budgets[0].terms
    assert term.pool.max.expression == "parsed.connectionLimit ?? 20"  # parseIntSafe's body is not read: unknown


def test_a_provider_built_with_new_outside_injection_is_one_more_pool(lint_tree):
    result = lint_tree(tree("postgresql://u@db/app"))
    labels = sorted(term.pool.label for term in result.budgets[0].terms)
    assert [term.pool_max for term in result.budgets[0].terms] == [20, 20]
    assert result.budgets[0].total == 40
    assert "built with `new` outside dependency injection at src/helper.ts:5" in labels[1]
