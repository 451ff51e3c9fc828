import { hash, verify } from "@node-rs/argon2";

/** argon2id (the library's default algorithm; a test pins it) with OWASP's minimums: 19 MiB, 2 iterations, 1 lane. */
const options = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MAX_PASSWORD_LENGTH = 256;
export const MIN_PASSWORD_LENGTH = 10;

export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

// Verified against when the email is unknown, so both answers take the same time.
const dummyHash = hash("not-a-real-password-for-timing-only", options);

/** Verifies a password; `storedHash` null (unknown user) still costs one argon2 verification. Never throws on bad input. */
export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) password = password.slice(0, MAX_PASSWORD_LENGTH);
  try {
    const ok = await verify(storedHash ?? (await dummyHash), password);
    return storedHash !== null && ok;
  } catch {
    return false;
  }
}
