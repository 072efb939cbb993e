import knexFactory from 'knex';
import { findPostmasterPid, processTreeCpuSeconds } from '../lib/proc';
import type { RunCleanup } from '../lib/cleanup';
import { startTestPostgres } from './catalogTestUtils';

/** The PostgreSQL server a catalog run uses, and what it costs. */
export interface BenchPostgres {
  connectionString: string;
  version: string;
  /** CPU seconds the server has used so far, when its processes can be found. */
  cpuSeconds(): number | undefined;
  /** Drops the databases whose names start with `prefix` (Backstage: prefix + plugin id). */
  dropDatabases(prefix: string): Promise<void>;
}

/**
 * The catalog tests' PostgreSQL (`VMPORTAL_TEST_PG_URL`, else a fresh embedded
 * PostgreSQL 18), stopped by `cleanup`.
 */
export async function startBenchPostgres(
  cleanup: RunCleanup,
): Promise<BenchPostgres> {
  const server = await startTestPostgres();
  cleanup.add('postgresql', () => server.stop());
  const admin = () =>
    knexFactory({
      client: 'pg',
      connection: server.connectionString,
      pool: { min: 0, max: 1 },
    });
  const db = admin();
  let version = 'unknown';
  try {
    const result = await db.raw('show server_version');
    version = String(result.rows[0].server_version);
  } finally {
    await db.destroy();
  }
  const port = Number(new URL(server.connectionString).port || 5432);
  const postmaster = findPostmasterPid(port);
  return {
    connectionString: server.connectionString,
    version,
    cpuSeconds: () =>
      postmaster === undefined ? undefined : processTreeCpuSeconds(postmaster),
    async dropDatabases(prefix: string) {
      const conn = admin();
      try {
        const { rows } = (await conn.raw(
          'select datname from pg_database where starts_with(datname, ?)',
          [prefix],
        )) as { rows: Array<{ datname: string }> };
        for (const { datname } of rows) {
          await conn.raw('drop database if exists ?? with (force)', [datname]);
        }
      } finally {
        await conn.destroy();
      }
    },
  };
}
