import type { Logger } from "pino";
import { prisma } from "../db/client.ts";

/** How often the API keys' `lastUsedAt` is written: the column is "to the minute", so half a minute is plenty. */
export const KEY_USAGE_FLUSH_MS = 30_000;

const pending = new Map<string, Date>();
let timer: NodeJS.Timeout | null = null;
let log: Pick<Logger, "error"> | null = null;

/**
 * Notes that an API key was used now. No statement on the request path: uses are coalesced per key in memory and
 * written by `flushKeyUsage`, every KEY_USAGE_FLUSH_MS in the background and when the app stops. A key's
 * `lastUsedAt` may therefore lag by up to KEY_USAGE_FLUSH_MS (and a process killed with SIGKILL loses its last
 * interval); it never moves backwards.
 */
export function recordKeyUse(apiKeyId: string): void {
  pending.set(apiKeyId, new Date());
  if (!timer) {
    timer = setInterval(() => void flushKeyUsage(), KEY_USAGE_FLUSH_MS);
    timer.unref();
  }
}

/** Where flush failures are logged (they are never thrown at a request). */
export function useKeyUsageLog(logger: Pick<Logger, "error">): void {
  log = logger;
}

/**
 * Writes the noted uses: one UPDATE per key used since the last flush, only ever moving `lastUsedAt` forward. A
 * failed write is logged and its use kept for the next flush (unless a newer one replaced it).
 */
export async function flushKeyUsage(): Promise<void> {
  if (!pending.size) {
    if (timer) clearInterval(timer);
    timer = null;
    return;
  }
  const batch = [...pending];
  pending.clear();
  await Promise.all(
    batch.map(async ([id, at]) => {
      try {
        await prisma.apiKey.updateMany({ where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: at } }] }, data: { lastUsedAt: at } });
      } catch (err) {
        if (!pending.has(id)) pending.set(id, at);
        log?.error({ err, apiKeyId: id }, "writing an API key's lastUsedAt failed");
      }
    }),
  );
}
