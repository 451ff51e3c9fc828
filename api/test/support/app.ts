import { loadEnv, type Env } from "../../src/env.ts";
import { createLogger } from "../../src/logger.ts";
import { buildApp, type App, type BuildOptions } from "../../src/server.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";

export interface TestApp {
  app: App;
  db: TestDatabase;
  env: Env;
  /** POSTs a GraphQL operation through yoga.fetch (no port) and returns the parsed body. */
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GqlResult<T>>;
  close(): Promise<void>;
}

export interface GqlResult<T> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> & { code?: string } }>;
}

/** The JWT secret of every test app (so helpers can sign tokens for seeded users). */
export const TEST_JWT_SECRET = "test-secret-test-secret-test-secret-0123";

const testEnv = (overrides: Record<string, string> = {}) =>
  loadEnv({
    NODE_ENV: "test",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "silent",
    API_PORT: "0",
    JWT_SECRET: TEST_JWT_SECRET,
    ENCRYPTION_KEY: "0".repeat(64),
    ...overrides,
  });

/** An app on its own fresh database (cloned from the migrated template). */
export async function startTestApp(overrides: Record<string, string> = {}, options: Pick<BuildOptions, "plugins" | "hooks" | "tracing" | "log"> = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const env = testEnv(overrides);
  const app = buildApp(env, { databaseUrl: db.url, log: createLogger(env.LOG_LEVEL, "test"), ...options });
  return {
    app,
    db,
    env,
    async gql(query, variables, headers = {}) {
      const res = await app.yoga.fetch("http://localhost/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, ...(await res.json()) };
    },
    async close() {
      await app.stop();
      await db.drop();
    },
  };
}
