import { connect as tcpConnect } from "node:net";
import jwt from "jsonwebtoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoUser, DEMO_PASSWORD } from "../../../prisma/seed.ts";
import { signAccessToken } from "../../src/auth/tokens.ts";
import type { Prisma } from "../../src/db/client.ts";
import { startTestApp, TEST_JWT_SECRET, type TestApp } from "../support/app.ts";
import { as, seedDemo } from "../support/domain.ts";

/**
 * The hostile-client corpus over HTTP (issue 12, item 7): each case is sent to the real server and must end in its
 * defined refusal, while a normal client, running beside it for the whole test, keeps getting its answers.
 */
describe("hostile clients over HTTP: every case gets its refusal, and a normal client is served meanwhile", () => {
  let t: TestApp;
  let prisma: Prisma;
  let url: string;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp({ HTTP_HEADERS_TIMEOUT_MS: "600", HTTP_REQUEST_TIMEOUT_MS: "1200", MAX_BODY_BYTES: "100000" });
    prisma = await seedDemo(t);
    ({ url, port } = await t.app.start());
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  /**
   * Runs `hostile` while a normal client asks `{ viewer { email } }` again and again; fails unless that client got
   * at least one answer and every answer it got was right.
   */
  async function besideNormalClient(hostile: () => Promise<void>) {
    let stop = false;
    const answers: string[] = [];
    const normal = (async () => {
      do {
        const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...as("all_county") }, body: JSON.stringify({ query: "{ viewer { email } }" }) });
        const body = await res.json();
        answers.push(res.status === 200 && body.data?.viewer?.email ? "ok" : `${res.status} ${JSON.stringify(body)}`);
        await new Promise((r) => setTimeout(r, 20));
      } while (!stop);
    })();
    try {
      await hostile();
    } finally {
      stop = true;
      await normal;
    }
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((a) => a !== "ok")).toEqual([]);
  }

  const post = async (body: BodyInit, headers: Record<string, string> = { "content-type": "application/json" }) => {
    const res = await fetch(url, { method: "POST", headers, body });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
  const json = (value: unknown) => JSON.stringify(value);

  it.each([
    ["truncated JSON", "{bad", /invalid JSON/],
    ["an empty body", "", /invalid JSON/],
    ["JSON null", "null", /expected to be object/],
    ["a JSON number", "5", /expected to be object/],
    ["a query that is not a string", json({ query: 5 }), /"query" param to be a string/],
    ["variables that are not an object", json({ query: "{ __typename }", variables: "x" }), /"variables" param/],
    ["extensions that are not an object", json({ query: "{ __typename }", extensions: [1] }), /"extensions" param/],
    ["bytes that are not UTF-8", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /invalid JSON/],
    ["a batch (an array of operations)", json([{ query: "{ __typename }" }, { query: "{ __typename }" }]), /Batching is not supported/],
    ["an empty batch", "[]", /Batching is not supported/],
  ] as const)("malformed body, %s: 400 BAD_REQUEST with a message saying what is wrong", async (_name, body, message) => {
    await besideNormalClient(async () => {
      const res = await post(body as BodyInit);
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code: "BAD_REQUEST" } });
      expect(res.body.data ?? null).toBeNull();
    });
  });

  it("JSON nested 20,000 levels deep in unused variables is parsed without harm and the operation answered", async () => {
    await besideNormalClient(async () => {
      const body = `{"query":"{ __typename }","variables":{"x":${"[".repeat(20_000)}${"]".repeat(20_000)}}}`;
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { __typename: "Query" }, extensions: { cost: expect.objectContaining({ requestedQueryCost: 1 }) } });
    });
  });

  it.each([["application/xml"], ["application/octet-stream"], ["text/html"], [null]])("content type %s: 415, nothing runs", async (contentType) => {
    await besideNormalClient(async () => {
      const before = await prisma.builder.count();
      const res = await post(json({ query: `mutation { createBuilder(input: { name: "Sneaky" }) { builder { id } } }` }), {
        ...as("all_county"),
        ...(contentType ? { "content-type": contentType } : {}),
      });
      expect(res.status).toBe(415);
      expect(await prisma.builder.count()).toBe(before);
    });
  });

  it("an oversized body, declared or streamed without a length: 413 with the limit, and the connection is closed", async () => {
    await besideNormalClient(async () => {
      const declared = await post(json({ query: "{ __typename }", variables: { pad: "x".repeat(200_000) } }));
      expect(declared.status).toBe(413);
      expect(declared.headers.get("connection")).toBe("close");
      expect(declared.body.errors[0]).toMatchObject({ message: "request body exceeds 100000 bytes", extensions: { code: "BAD_USER_INPUT" } });
      const streamed = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: new ReadableStream({
          start(c) {
            for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode("x".repeat(50_000)));
            c.close();
          },
        }),
        duplex: "half",
      } as RequestInit);
      expect(streamed.status).toBe(413);
    });
  });

  /** A raw TCP client that sends `head`, then one byte of `trickle` every `everyMs`; resolves with what the server answered once it closes. */
  function slowClient(head: string, trickle: string, everyMs: number): Promise<{ answer: string; ms: number }> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      let answer = "";
      let i = 0;
      const socket = tcpConnect(port, "127.0.0.1", () => socket.write(head));
      const timer = setInterval(() => !socket.destroyed && socket.write(trickle[i++ % trickle.length]!), everyMs);
      const giveUp = setTimeout(() => socket.destroy(new Error(`still open after 10 s; got ${JSON.stringify(answer)}`)), 10_000);
      socket.on("data", (d) => (answer += d));
      socket.on("error", (err) => (answer ? undefined : reject(err)));
      socket.on("close", () => {
        clearInterval(timer);
        clearTimeout(giveUp);
        resolve({ answer, ms: Date.now() - started });
      });
    });
  }

  it("slow headers (slowloris): 408 and closed once HTTP_HEADERS_TIMEOUT_MS has passed", async () => {
    await besideNormalClient(async () => {
      const slow = await Promise.all(Array.from({ length: 5 }, () => slowClient("POST /graphql HTTP/1.1\r\nHost: x\r\n", "X-a: b\r\n", 50)));
      for (const { answer, ms } of slow) {
        expect(answer).toMatch(/^HTTP\/1\.1 408/);
        expect(ms).toBeGreaterThanOrEqual(500);
        expect(ms).toBeLessThan(5_000);
      }
    });
  });

  it("a slow body: 408 and closed once HTTP_REQUEST_TIMEOUT_MS has passed, the body never reaches GraphQL", async () => {
    await besideNormalClient(async () => {
      const before = await prisma.builder.count();
      const mutation = json({ query: `mutation { createBuilder(input: { name: "Trickled" }) { builder { id } } }` });
      const head = `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: ${as("all_county").authorization}\r\nX-Tenant-Id: all_county\r\nContent-Length: ${mutation.length}\r\n\r\n`;
      const { answer, ms } = await slowClient(head, mutation.slice(0, -1), 40);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(ms).toBeGreaterThanOrEqual(1_000);
      expect(ms).toBeLessThan(6_000);
      expect(await prisma.builder.count()).toBe(before);
    });
  });

  it("header floods: many headers, one huge header, a huge URL: 431, and the server keeps serving", async () => {
    await besideNormalClient(async () => {
      const many = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`x-flood-${i}`, "v"]));
      expect((await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...many }, body: json({ query: "{ __typename }" }) })).status).toBe(431);
      expect((await fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-big": "a".repeat(20_000) }, body: json({ query: "{ __typename }" }) })).status).toBe(431);
      expect((await fetch(`${url}?query=${"a".repeat(20_000)}`)).status).toBe(431);
    });
  });

  const q = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join(" ");
  it.each([
    ["deep", "{" + "jobs(first: 1) { edges { node { builder { ".repeat(5) + "name" + " } } } }".repeat(5) + "}", /depth limit of 12 exceeded/],
    ["wide (tokens)", `{ ${"serverInfo { version } ".repeat(2_000)} }`, /Token limit of 5000 exceeded/],
    ["aliased", `{ ${q(100, (i) => `a${i}: serverInfo { version }`)} }`, /Aliases limit of 30 exceeded/],
    ["aliased connections (cost)", `{ ${q(20, (i) => `a${i}: jobs(first: 100) { edges { node { auditTrail(first: 100) { totalCount } } } }`)} }`, /cost/i],
    ["full of directives", `{ serverInfo { version ${"@skip(if: false) ".repeat(60)} } }`, /Directives limit of 50 exceeded/],
  ])("a %s document: QUERY_TOO_COMPLEX before anything runs", async (_name, query, message) => {
    await besideNormalClient(async () => {
      const res = await post(json({ query }), { "content-type": "application/json", ...as("all_county") });
      expect(res.body.data ?? null).toBeNull();
      expect(res.body.errors[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code: "QUERY_TOO_COMPLEX" } });
    });
  });

  it.each([
    ["fragments that spread each other", "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }", "GRAPHQL_VALIDATION_FAILED"],
    ["an unknown field", "{ nope }", "GRAPHQL_VALIDATION_FAILED"],
    ["a syntax error", "{ serverInfo { ", "GRAPHQL_PARSE_FAILED"],
    ["two operations and no operation name", "query A { __typename } query B { __typename }", "OPERATION_RESOLUTION_FAILURE"],
    ["an operation name that is not in the document", "query A { __typename }", "OPERATION_RESOLUTION_FAILURE", "B"],
  ])("%s: a typed 400 error, nothing runs", async (_name, query, code, operationName?: string) => {
    await besideNormalClient(async () => {
      const res = await post(json({ query, operationName }), { "content-type": "application/json", accept: "application/graphql-response+json", ...as("all_county") });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].extensions.code).toBe(code);
    });
  });

  const claims = { sub: demoUser("all_county", "owner").id, sid: "00000000-0000-4000-8000-000000000001" };
  const valid = signAccessToken(claims, TEST_JWT_SECRET);
  const [header, payload] = valid.split(".");
  it.each([
    ["a bad signature", `Bearer ${header}.${payload}.${Buffer.from("forged").toString("base64url")}`],
    ["another key's signature", `Bearer ${signAccessToken(claims, "another-secret-another-secret-another-secret")}`],
    ["alg none", `Bearer ${jwt.sign({ sid: claims.sid }, "", { algorithm: "none", subject: claims.sub, issuer: "h2o-acp", audience: "h2o-acp-api" })}`],
    ["an expired token", `Bearer ${signAccessToken(claims, TEST_JWT_SECRET, -60)}`],
    ["a token for another audience", `Bearer ${jwt.sign({ sid: claims.sid }, TEST_JWT_SECRET, { algorithm: "HS256", subject: claims.sub, issuer: "h2o-acp", audience: "elsewhere" })}`],
    ["a made-up API key", "Bearer h2okey_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ["garbage", "Bearer a.b.c"],
  ])("forged credentials, %s: 401 UNAUTHENTICATED even for public fields, never anonymous", async (_name, authorization) => {
    await besideNormalClient(async () => {
      for (const query of ["{ serverInfo { version } }", "{ viewer { email } }", "{ __typename serverInfo { version } }"]) {
        const res = await post(json({ query }), { "content-type": "application/json", authorization, "x-tenant-id": "all_county" });
        expect(res.status, query).toBe(401);
        expect(res.headers.get("www-authenticate"), query).toBe('Bearer realm="h2o-acp", error="invalid_token"');
        expect(res.body.data ?? null).toBeNull();
        expect(res.body.errors).toEqual([{ message: expect.stringMatching(/invalid|expired/), extensions: { code: "UNAUTHENTICATED" } }]);
      }
    });
  });

  it("every other 401 names its challenge too: no credentials on a field that needs them, a wrong password", async () => {
    const anonymous = await post(json({ query: "{ jobs(first: 1) { edges { node { id } } } }" }));
    const wrongPassword = await post(json({ query: "mutation($e: String!) { login(email: $e, password: \"not-the-password\") { accessToken } }", variables: { e: demoUser("all_county", "owner").email } }));
    for (const res of [anonymous, wrongPassword]) {
      expect(res.status, JSON.stringify(res.body)).toBe(401);
      expect(res.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="h2o-acp"');
    }
    const anonymousPublic = await post(json({ query: "{ serverInfo { version } }" }));
    expect([anonymousPublic.status, anonymousPublic.headers.get("www-authenticate")]).toEqual([200, null]);
  });

  it("a browser holding an expired session cookie can still sign in (login, logout and refreshSession run)", async () => {
    const cookie = `h2o_access=${signAccessToken(claims, TEST_JWT_SECRET, -60)}`;
    const login = await post(json({ query: "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }", variables: { e: demoUser("all_county", "owner").email, p: DEMO_PASSWORD } }), {
      "content-type": "application/json",
      cookie,
    });
    expect(login.status).toBe(200);
    expect(login.body.data.login.accessToken).toEqual(expect.any(String));
  });
});
