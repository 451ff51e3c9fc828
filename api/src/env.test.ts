import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadEnv } from "./env.ts";

const dataDir = () => mkdtempSync(path.join(tmpdir(), "h2o-env-"));

describe("loadEnv", () => {
  it("applies the defaults of CONTRACT.md", () => {
    const env = loadEnv({ DATA_DIR: dataDir() });
    expect(env).toMatchObject({ NODE_ENV: "development", API_PORT: 4000, WEB_PORT: 3000, API_HOST: "127.0.0.1" });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.REDIS_URL).toBeUndefined();
    expect(env.DB_POOL_MAX).toBe(10);
    expect(env.DB_STATEMENT_TIMEOUT_MS).toBe(15_000);
  });

  it("names the variable of a bad value", () => {
    expect(() => loadEnv({ API_PORT: "eighty" })).toThrow(ConfigError);
    expect(() => loadEnv({ API_PORT: "eighty" })).toThrow(/API_PORT/);
    expect(() => loadEnv({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL: must be a postgres:\/\/ URL/);
    expect(() => loadEnv({ NODE_ENV: "staging" })).toThrow(/NODE_ENV/);
    expect(() => loadEnv({ DB_POOL_MAX: "0" })).toThrow(/DB_POOL_MAX/);
    expect(() => loadEnv({ DATA_DIR: dataDir(), HTTP_HEADERS_TIMEOUT_MS: "40000" })).toThrow(/HTTP_HEADERS_TIMEOUT_MS: may not exceed HTTP_REQUEST_TIMEOUT_MS/);
  });

  it("names every bad variable at once", () => {
    try {
      loadEnv({ API_PORT: "-1", REDIS_URL: "http://nope" });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/API_PORT/);
      expect((e as Error).message).toMatch(/REDIS_URL/);
    }
  });

  it("generates development secrets once and finds them again", () => {
    const dir = dataDir();
    const a = loadEnv({ DATA_DIR: dir });
    const b = loadEnv({ DATA_DIR: dir });
    expect(a.JWT_SECRET).toHaveLength(64);
    expect(b.JWT_SECRET).toBe(a.JWT_SECRET);
    expect(b.ENCRYPTION_KEY).toBe(a.ENCRYPTION_KEY);
    expect(JSON.parse(readFileSync(path.join(dir, "secrets.json"), "utf8")).JWT_SECRET).toBe(a.JWT_SECRET);
  });

  it("in production, requires only the secrets a process needs, and leaves the others empty", () => {
    const base = { NODE_ENV: "production", DATABASE_URL: "postgres://db/x", DATA_DIR: dataDir() };
    expect(() => loadEnv(base, ["ENCRYPTION_KEY"])).toThrow(/ENCRYPTION_KEY: required/);
    const worker = loadEnv({ ...base, ENCRYPTION_KEY: "ab".repeat(32) }, ["ENCRYPTION_KEY"]);
    expect(worker.JWT_SECRET).toBe("");
    expect(worker.ENCRYPTION_KEY).toBe("ab".repeat(32));
    expect(loadEnv(base, []).ENCRYPTION_KEY).toBe("");
    expect(existsSync(path.join(base.DATA_DIR, "secrets.json"))).toBe(false);
  });

  it("refuses generated secrets and the embedded database in production", () => {
    expect(() => loadEnv({ NODE_ENV: "production", DATA_DIR: dataDir() })).toThrow(/DATABASE_URL: required when NODE_ENV=production/);
    expect(() => loadEnv({ NODE_ENV: "production", DATABASE_URL: "postgres://db/x" })).toThrow(/JWT_SECRET/);
    const ok = loadEnv({ NODE_ENV: "production", DATABASE_URL: "postgres://db/x", JWT_SECRET: "x".repeat(40), ENCRYPTION_KEY: "ab".repeat(32) });
    expect(ok.isProduction).toBe(true);
  });

  it("rejects weak secrets", () => {
    expect(() => loadEnv({ JWT_SECRET: "short" })).toThrow(/JWT_SECRET: must be at least 32 characters/);
    expect(() => loadEnv({ ENCRYPTION_KEY: "zz" })).toThrow(/ENCRYPTION_KEY/);
  });
});
