import { createHash } from "node:crypto";
import { SecretBox } from "../webhooks/secret-box.ts";

/** A sealed secret and the id of the key that sealed it (stored beside the ciphertext). */
export interface Sealed {
  sealed: string;
  keyId: string;
}

/** The id of a key: the first 16 hex characters of its SHA-256 (names the key without revealing it). */
export const keyIdOf = (hexKey: string) => createHash("sha256").update(hexKey.toLowerCase()).digest("hex").slice(0, 16);

/**
 * OAuth tokens at rest. Guarantees:
 * 1. `seal` always uses the current ENCRYPTION_KEY (AES-256-GCM through SecretBox, with `context` bound as
 *    additional data: a ciphertext copied to another row or column does not open) and reports its key id;
 * 2. `open` uses the key named by the stored key id: the current key or one of ENCRYPTION_KEY_PREVIOUS, so tokens
 *    keep working during a key rotation; an unknown key id, a wrong key or tampering throw;
 * 3. nothing here logs or returns a plaintext except `open`'s result.
 * `npm run cli -- tokens:reencrypt` re-seals every token under the current key; after it the previous keys are
 * no longer needed.
 */
export class TokenBox {
  readonly keyId: string;
  private readonly current: SecretBox;
  private readonly boxes = new Map<string, SecretBox>();

  constructor(currentHexKey: string, previousHexKeys: readonly string[] = []) {
    this.keyId = keyIdOf(currentHexKey);
    this.current = new SecretBox(currentHexKey);
    this.boxes.set(this.keyId, this.current);
    for (const key of previousHexKeys) this.boxes.set(keyIdOf(key), new SecretBox(key));
  }

  seal(plaintext: string, context: string): Sealed {
    return { sealed: this.current.seal(plaintext, context), keyId: this.keyId };
  }

  open(sealed: string, keyId: string, context: string): string {
    const box = this.boxes.get(keyId);
    if (!box) throw new Error(`TokenBox: no key with id ${keyId} (set it in ENCRYPTION_KEY_PREVIOUS until tokens:reencrypt has run)`);
    return box.open(sealed, context);
  }

  /** Re-seals a value under the current key (a no-op in effect when it already is). */
  reseal(sealed: string, keyId: string, context: string): Sealed {
    return this.seal(this.open(sealed, keyId, context), context);
  }
}

/** The tenant-independent contexts sealed values are bound to. */
export const tokenContext = {
  access: (accountId: string) => `channel-account:${accountId}:access`,
  refresh: (accountId: string) => `channel-account:${accountId}:refresh`,
  verifier: (attemptId: string) => `channel-connect:${attemptId}:verifier`,
  userToken: (attemptId: string) => `channel-connect:${attemptId}:user-token`,
  userRefresh: (attemptId: string) => `channel-connect:${attemptId}:user-refresh`,
};
