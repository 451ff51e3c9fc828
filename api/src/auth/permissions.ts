/**
 * The permission table: which actions each role may take. Pothos scope-auth checks it on every field
 * (`authScopes: { can: "job:write" }`); nothing else decides what a principal may do.
 */
export const actions = [
  "tenant:read",
  "tenant:configure",
  "builder:read",
  "builder:write",
  "job:read",
  "job:write",
  "bid:read",
  "bid:write",
  "serviceCall:read",
  "serviceCall:write",
  "marketing:read",
  "marketing:write",
  "user:read",
  "user:manage",
  "apiKey:manage",
  "webhook:manage",
  "audit:read",
] as const;
export type Action = (typeof actions)[number];

export const roles = ["owner", "admin", "dispatcher", "estimator", "marketer", "viewer"] as const;
export type Role = (typeof roles)[number];

const read: Action[] = ["tenant:read", "builder:read", "job:read", "bid:read", "serviceCall:read", "marketing:read"];

export const rolePermissions: Record<Role, ReadonlySet<Action>> = {
  owner: new Set(actions),
  admin: new Set(actions),
  dispatcher: new Set([...read, "job:write", "serviceCall:write", "user:read"]),
  estimator: new Set([...read, "bid:write", "builder:write", "job:write", "user:read"]),
  marketer: new Set([...read, "marketing:write", "user:read"]),
  viewer: new Set(read),
};

/** API key scopes (what a partner's key may do), each granting a set of actions. */
export const apiKeyScopes = {
  "read:tenant": ["tenant:read"],
  "read:builders": ["builder:read"],
  "write:builders": ["builder:read", "builder:write"],
  "read:jobs": ["job:read", "builder:read"],
  "write:jobs": ["job:read", "job:write", "builder:read"],
  "read:bids": ["bid:read", "builder:read"],
  "write:bids": ["bid:read", "bid:write", "builder:read"],
  "read:service_calls": ["serviceCall:read"],
  "write:service_calls": ["serviceCall:read", "serviceCall:write"],
  "read:marketing": ["marketing:read"],
  "write:marketing": ["marketing:read", "marketing:write"],
  "webhooks:manage": ["webhook:manage", "tenant:read"],
  "read:audit": ["audit:read"],
} as const satisfies Record<string, readonly Action[]>;
export type ApiKeyScope = keyof typeof apiKeyScopes;
export const isApiKeyScope = (s: string): s is ApiKeyScope => Object.hasOwn(apiKeyScopes, s);

export function scopePermissions(scopes: readonly string[]): ReadonlySet<Action> {
  return new Set(scopes.filter(isApiKeyScope).flatMap((s) => apiKeyScopes[s]));
}

export const isRole = (r: string): r is Role => (roles as readonly string[]).includes(r);
