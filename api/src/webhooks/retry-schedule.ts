/** Svix's schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (eight attempts over about 28 h). */
export const SVIX_RETRY_SCHEDULE_MS: readonly number[] = [
  0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
];

/** The default relative jitter: each delay lands uniformly within ±20 % of its nominal value. */
export const DEFAULT_RETRY_JITTER = 0.2;

/**
 * When the next attempt of a message to one endpoint is due, or `null` when `attemptsMade` used up the
 * schedule (the message then failed for that endpoint). `schedule[i]` is the delay before attempt i+1,
 * counted from the previous attempt; `schedule.length` is the number of attempts. Pure: `random` (in [0, 1))
 * picks the jitter, `delay × (1 + jitter × (2·random − 1))`; a zero delay stays zero.
 */
export function nextAttemptAt(
  attemptsMade: number,
  now: Date,
  schedule: readonly number[] = SVIX_RETRY_SCHEDULE_MS,
  random: () => number = Math.random,
  jitter: number = DEFAULT_RETRY_JITTER,
): Date | null {
  if (!Number.isInteger(attemptsMade) || attemptsMade < 0) throw new RangeError(`attemptsMade must be a non-negative integer, got ${attemptsMade}`);
  const delay = schedule[attemptsMade];
  if (delay === undefined) return null;
  const factor = 1 + jitter * (2 * random() - 1);
  return new Date(now.getTime() + Math.max(0, Math.round(delay * factor)));
}
