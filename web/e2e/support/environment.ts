/** What the e2e global setup hands to every test file (through vitest's `provide`/`inject`). */
export interface E2EEnvironment {
	/** The dashboard, `node web/build`: `http://127.0.0.1:<port>`. */
	webUrl: string;
	/** The API's GraphQL endpoint: `http://127.0.0.1:<port>/graphql`. */
	apiUrl: string;
	/** The harness's control server (stop/start/restart the API): `http://127.0.0.1:<port>`. */
	controlUrl: string;
	/** The test's own database (seeded), dropped at the end of the run. */
	databaseUrl: string;
	screenshotsDir: string;
	/** api.log, web.log: the servers' output, kept after the run. */
	logDir: string;
}

declare module 'vitest' {
	export interface ProvidedContext {
		e2e: E2EEnvironment;
	}
}
