// The e2e run's servers: a fresh seeded database, the real API, the worker (webhook delivery), the built
// dashboard, and a small control server through which tests stop and restart the API under a running browser.
// See harness.ts for tests.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { createTestDatabase, type TestDatabase } from '../../../api/test/support/database.ts';
import buildTemplateDatabase from '../../../api/test/support/global-setup.ts';
import { googleEnv, startGoogleStandin, type GoogleStandin } from '../../../api/test/support/google-standin.ts';
import { metaEnv, startMetaStandin, type MetaStandin } from '../../../api/test/support/meta-standin.ts';
import { freePort } from '../../../api/test/support/ports.ts';
import pg from 'pg';
import type { E2EEnvironment } from './environment.ts';
import { run, spawnLogged, stopProcess, waitForHttp } from './processes.ts';
import { webBuildIsStale } from './web-build.ts';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const logDir = path.join(repoRoot, 'test-results', 'e2e-logs');
const screenshotsDir = path.join(repoRoot, 'test-results', 'screenshots');
const node = process.execPath;
const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** The API process, restartable on the same port (so the browser's reconnects find it again). */
class ApiServer {
	#child: ChildProcess | undefined;
	constructor(
		readonly port: number,
		readonly env: NodeJS.ProcessEnv
	) {}

	get running() {
		return Boolean(this.#child && this.#child.exitCode === null && this.#child.signalCode === null);
	}

	/** Starts it with its environment, and `overrides` on top until the next start without them. */
	async start(overrides: NodeJS.ProcessEnv = {}) {
		if (this.running) return;
		const child = spawnLogged('api', node, ['--import', 'tsx', 'api/src/main.ts'], { cwd: repoRoot, env: { ...this.env, ...overrides }, logDir });
		this.#child = child;
		await waitForHttp(`http://127.0.0.1:${this.port}/readyz`, child);
	}

	/** SIGTERM (a graceful stop) or, with `kill`, SIGKILL (a crash). */
	async stop({ kill = false } = {}) {
		if (kill) this.#child?.kill('SIGKILL');
		await stopProcess(this.#child);
	}

	kill() {
		this.#child?.kill('SIGKILL');
	}
}

/**
 * POST /api/stop[?kill=1], /api/start, /api/restart: one at a time, answered when done. `start` and `restart` take
 * `env=NAME=value` parameters: the API runs with them until the next start.
 */
function startControlServer(api: ApiServer): Promise<{ server: Server; url: string }> {
	let queue = Promise.resolve();
	const server = createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://control');
		const env = Object.fromEntries(url.searchParams.getAll('env').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
		const actions: Record<string, () => Promise<void>> = {
			'/api/stop': () => api.stop({ kill: url.searchParams.has('kill') }),
			'/api/start': () => api.start(env),
			'/api/restart': async () => (await api.stop(), await api.start(env))
		};
		const action = req.method === 'POST' ? actions[url.pathname] : undefined;
		if (!action) return void res.writeHead(404).end();
		const started = Date.now();
		queue = queue.then(action).then(
			() => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ms: Date.now() - started })),
			(e: Error) => void res.writeHead(500, { 'content-type': 'text/plain' }).end(e.message)
		);
	});
	return new Promise((resolve) =>
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			resolve({ server, url: `http://127.0.0.1:${port}` });
		})
	);
}

export default async function setup(project: TestProject) {
	const t0 = Date.now();
	const say = (what: string) => console.log(`[e2e] ${what} (${elapsed(t0)})`);
	mkdirSync(screenshotsDir, { recursive: true });
	rmSync(logDir, { recursive: true, force: true });
	mkdirSync(logDir, { recursive: true });

	let db: TestDatabase | undefined;
	let api: ApiServer | undefined;
	let worker: ChildProcess | undefined;
	let web: ChildProcess | undefined;
	let control: Server | undefined;
	let meta: MetaStandin | undefined;
	let google: GoogleStandin | undefined;
	const teardown = async () => {
		await stopProcess(web);
		await stopProcess(worker);
		await api?.stop();
		await new Promise<void>((resolve) => (control ? control.close(() => resolve()) : resolve()));
		await db?.drop();
		await meta?.close();
		await google?.close();
	};
	// Never leave servers behind, even when vitest is interrupted.
	const killAll = () => (web?.kill('SIGKILL'), worker?.kill('SIGKILL'), api?.kill());
	process.once('exit', killAll);

	try {
		const build = webBuildIsStale(repoRoot)
			? run('npm', ['run', 'build', '-w', 'web'], { cwd: repoRoot, env: process.env }).then(() => say('web built'))
			: Promise.resolve(say('web build is up to date'));

		await buildTemplateDatabase();
		db = await createTestDatabase('h2o_e2e');
		const [apiPort, webPort] = [await freePort(), await freePort()];
		const webUrl = `http://127.0.0.1:${webPort}`;
		// the social platforms' stand-ins (marketing.e2e.ts connects accounts and publishes against them)
		[meta, google] = await Promise.all([startMetaStandin(), startGoogleStandin()]);
		const apiEnv: NodeJS.ProcessEnv = {
			...process.env,
			NODE_ENV: 'test',
			LOG_LEVEL: process.env.E2E_API_LOG_LEVEL ?? 'info',
			DATABASE_URL: db.url,
			API_HOST: '127.0.0.1',
			API_PORT: String(apiPort),
			JWT_SECRET: 'e2e-secret-e2e-secret-e2e-secret-0123456',
			ENCRYPTION_KEY: '0123456789abcdef'.repeat(4),
			CORS_ORIGINS: webUrl,
			SHUTDOWN_TIMEOUT_MS: '2000',
			...metaEnv(meta),
			...googleEnv(google),
			PUBLIC_WEB_URL: webUrl,
			// the worker's changes (a post published) reach the API's live subscribers through Redis, as in production;
			// without it they stay in the worker's process. A prefix of this run's own.
			REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
			REDIS_KEY_PREFIX: `e2e-${apiPort}:`,
			MARKETING_HTTP_BACKOFF_MS: '50'
		};
		await run(node, ['--import', 'tsx', 'api/src/cli.ts', 'seed'], { cwd: repoRoot, env: { ...apiEnv, LOG_LEVEL: 'warn' } });
		await unlimitRequests(db.url);
		say(`database ${db.name} seeded`);

		api = new ApiServer(apiPort, apiEnv);
		await Promise.all([api.start().then(() => say(`api on :${apiPort}`)), build]);
		// Delivers webhooks (settings-webhooks.e2e.ts); it runs on through API stops, as in production.
		worker = spawnLogged('worker', node, ['--import', 'tsx', 'api/src/worker.ts'], { cwd: repoRoot, env: apiEnv, logDir });

		const apiUrl = `http://127.0.0.1:${apiPort}/graphql`;
		const webEnv = { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(webPort), ORIGIN: webUrl, PUBLIC_API_URL: apiUrl };
		web = spawnLogged('web', node, ['web/build/index.js'], { cwd: repoRoot, env: webEnv, logDir });
		await waitForHttp(webUrl, web);
		say(`web on :${webPort}`);

		const { server, url: controlUrl } = await startControlServer(api);
		control = server;
		const env: E2EEnvironment = { webUrl, apiUrl, controlUrl, databaseUrl: db.url, screenshotsDir, logDir };
		project.provide('e2e', env);
	} catch (e) {
		await teardown().catch(() => undefined);
		throw e;
	}
	return async () => {
		process.off('exit', killAll);
		await teardown();
	};
}

/**
 * The seeded tenants' request and query-cost budgets raised out of reach: every e2e file runs against one API with the
 * same few demo users, several files at once, so a user here makes far more requests a minute than a person does,
 * and a refusal (RATE_LIMITED) would fail whichever screen met it. The budgets themselves are tested in api/test
 * (protection, cost-budget); the screens that show them are not affected (no e2e test reads their values).
 */
async function unlimitRequests(databaseUrl: string): Promise<void> {
	const client = new pg.Client({ connectionString: databaseUrl });
	await client.connect();
	try {
		// the highest values the tenant settings accept (api/src/schema/tenant.ts), so the settings screen stays valid
		await client.query(
			`UPDATE "TenantConfig" SET "rateLimitPerMinute" = 100000, "apiKeyRateLimitPerMinute" = 100000, "queryCostBudget" = 100000000, "queryCostRestoreRate" = 10000000`
		);
	} finally {
		await client.end();
	}
}
