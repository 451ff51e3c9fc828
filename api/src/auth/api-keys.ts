import { randomBytes } from "node:crypto";
import { randomToken, sha256 } from "./secrets.ts";

/** Every API key starts with this, so a key in a log or a leak scanner is recognisable. */
export const API_KEY_PREFIX = "h2okey_";

export interface GeneratedApiKey {
  /** shown to the user once, never stored */
  key: string;
  /** stored and shown in lists: identifies the key without revealing it */
  prefix: string;
  /** stored: SHA-256 of the whole key */
  hash: string;
}

export function generateApiKey(): GeneratedApiKey {
  const prefix = `${API_KEY_PREFIX}${randomBytes(6).toString("hex")}`;
  const key = `${prefix}_${randomToken(32)}`;
  return { key, prefix, hash: sha256(key) };
}

/** The visible prefix of a presented key, or null when it is not shaped like one of ours. */
export function parseApiKey(presented: string): { prefix: string; hash: string } | null {
  const m = /^(h2okey_[0-9a-f]{12})_[\w-]{43}$/.exec(presented);
  return m ? { prefix: m[1]!, hash: sha256(presented) } : null;
}
