// Signing in to the API under test as a seeded demo user, for the benches that drive it (http, soak).

/** Every seeded demo user's password (prisma/seed.ts). */
const DEMO_PASSWORD = "demo-password-h2o";

/** Signs in as a demo user through the `login` mutation; returns the headers of a request acting for `tenant`. */
export async function login(apiUrl: string, email: string, tenant: string): Promise<Record<string, string>> {
  const res = await fetch(`${apiUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, variables: { e: email, p: DEMO_PASSWORD } }),
  });
  const body = (await res.json()) as { data?: { login: { accessToken: string } }; errors?: unknown };
  if (!body.data) throw new Error(`login as ${email} failed: ${JSON.stringify(body.errors)}`);
  return { authorization: `Bearer ${body.data.login.accessToken}`, "x-tenant-id": tenant };
}
