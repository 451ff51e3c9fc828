// `npm run bench -- http --verify-statements`: checks the driver-level statement counter (count-statements.mjs)
// against PostgreSQL's own statement log. With `log_statement = 'all'` set on the bench database (new sessions only,
// so before the API starts), every statement a session runs is one `LOG:  statement:` (simple protocol) or
// `LOG:  execute …:` (extended protocol) line tagged `user@database`. For each scenario, the lines written while
// the API served a few sequential requests must equal the counter's increase. The setting is reset afterwards.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import pg from "pg";
import type { Dataset } from "./dataset.ts";
import { poolState } from "./dataset.ts";
import { JobLeases, statementsPerRequest } from "./load.ts";
import { launchApi, settle, statements, type ServerSettings } from "./processes.ts";
import type { Fixtures, Scenario } from "./scenarios.ts";

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function readFrom(file: string, offset: number): string {
  const size = statSync(file).size;
  const buffer = Buffer.alloc(Math.max(0, size - offset));
  const fd = openSync(file, "r");
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  return buffer.toString("utf8");
}

export async function verifyStatementCount(settings: ServerSettings, dataset: Dataset, list: Scenario[], fixtures: (login: (email: string, tenant: string) => Promise<Record<string, string>>) => Promise<Fixtures>, login: (url: string, email: string, tenant: string) => Promise<Record<string, string>>) {
  const db = decodeURIComponent(new URL(dataset.url).pathname.slice(1));
  const logFile =
    process.env.BENCH_PG_LOG ?? (await admin(dataset.url, async (c) => `/var/log/postgresql/postgresql-${(await c.query("SHOW cluster_name")).rows[0].cluster_name.replace("/", "-")}.log`));
  await admin(dataset.url, (c) => c.query(`ALTER DATABASE "${db}" SET log_statement = 'all'`));
  const api = await launchApi(settings).catch(async (e) => {
    await admin(dataset.url, (c) => c.query(`ALTER DATABASE "${db}" RESET log_statement`));
    throw e;
  });
  const line = new RegExp(`@${db.replace(/[^\w]/g, "\\$&")} LOG:  (statement|execute [^:]*): `, "gm");
  try {
    const fx = await fixtures((email, tenant) => login(api.url, email, tenant));
    console.log(`statement counter vs PostgreSQL's log (${logFile}), ${db}, log_statement = 'all':`);
    for (const scenario of list) {
      const leases = new JobLeases(await poolState(dataset.url, dataset.mutationPool));
      await settle(api);
      await new Promise((r) => setTimeout(r, 300));
      const offset = statSync(logFile).size;
      const counted0 = await statements(api);
      const perRequest = await statementsPerRequest(api, scenario, fx, leases, 5);
      const counted = (await statements(api)) - counted0;
      await new Promise((r) => setTimeout(r, 500));
      const logged = readFrom(logFile, offset).match(line)?.length ?? 0;
      console.log(`  ${scenario.name.padEnd(20)} counter ${String(counted).padStart(4)}, log ${String(logged).padStart(4)} (${perRequest.toFixed(2)} per request): ${counted === logged ? "agree" : "DIFFER"}`);
    }
  } finally {
    await api.stop();
    await admin(dataset.url, (c) => c.query(`ALTER DATABASE "${db}" RESET log_statement`));
  }
}
