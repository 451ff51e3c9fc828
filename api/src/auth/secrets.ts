import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A high-entropy random token, base64url. */
export const randomToken = (bytes = 32) => randomBytes(bytes).toString("base64url");

/** SHA-256 of a high-entropy token (refresh tokens, API keys, reset tokens): such tokens need no slow hash. */
export const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");

export function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}
