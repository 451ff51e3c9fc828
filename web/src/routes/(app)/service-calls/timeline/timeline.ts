/** The hours the day view shows (local time): calls outside them are drawn at its edges. */
export const FIRST_HOUR = 6;
export const LAST_HOUR = 20;
/** The step of a move (drag lands on it; an arrow key shifts by it), in minutes. */
export const SLOT_MINUTES = 30;
/** The window a call without one gets when first placed. */
export const DEFAULT_MINUTES = 120;

const MINUTE = 60_000;

/** `YYYY-MM-DD` of a date in local time. */
export const dayOf = (date: Date) => `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;

/** The day's bounds in local time: midnight to the next midnight, and the shown span (FIRST_HOUR to LAST_HOUR). */
export function dayBounds(day: string) {
	const [y, m, d] = day.split('-').map(Number) as [number, number, number];
	const start = new Date(y, m - 1, d);
	const end = new Date(y, m - 1, d + 1);
	const shownFrom = new Date(y, m - 1, d, FIRST_HOUR);
	const shownTo = new Date(y, m - 1, d, LAST_HOUR);
	return { start, end, shownFrom, shownTo };
}

/** A day `n` days after `day`. */
export function addDays(day: string, n: number): string {
	const [y, m, d] = day.split('-').map(Number) as [number, number, number];
	return dayOf(new Date(y, m - 1, d + n));
}

type Bounds = ReturnType<typeof dayBounds>;

/** Where a window sits in the shown span, as percentages of its width (clipped to it). */
export function placement(windowStart: string, windowEnd: string | null | undefined, b: Bounds): { left: number; width: number } {
	const span = b.shownTo.getTime() - b.shownFrom.getTime();
	const from = Math.max(new Date(windowStart).getTime(), b.shownFrom.getTime());
	const endAt = windowEnd ? new Date(windowEnd).getTime() : new Date(windowStart).getTime() + DEFAULT_MINUTES * MINUTE;
	const to = Math.min(Math.max(endAt, from + SLOT_MINUTES * MINUTE), b.shownTo.getTime());
	const left = Math.min(100, ((from - b.shownFrom.getTime()) / span) * 100);
	return { left, width: Math.max(0, Math.min(100 - left, ((to - from) / span) * 100)) };
}

/** The start of the slot at `fraction` (0..1) of the shown span: where a drop at that point lands. */
export function slotAt(fraction: number, b: Bounds): Date {
	const slots = ((LAST_HOUR - FIRST_HOUR) * 60) / SLOT_MINUTES;
	const slot = Math.min(slots - 1, Math.max(0, Math.floor(fraction * slots)));
	return new Date(b.shownFrom.getTime() + slot * SLOT_MINUTES * MINUTE);
}

/** A call's window moved to start at `start`, keeping its length (DEFAULT_MINUTES when it had none). */
export function movedWindow(call: { windowStart?: string | null; windowEnd?: string | null }, start: Date): { windowStart: string; windowEnd: string } {
	const length = call.windowStart && call.windowEnd ? new Date(call.windowEnd).getTime() - new Date(call.windowStart).getTime() : DEFAULT_MINUTES * MINUTE;
	return { windowStart: start.toISOString(), windowEnd: new Date(start.getTime() + length).toISOString() };
}

/** A move being chosen with the keyboard: which call, to which technician, starting when. */
export interface PendingMove {
	id: string;
	technician: string;
	start: Date;
}

/**
 * The next pending move for a key: ↑/↓ another technician (row), ←/→ SLOT_MINUTES earlier/later (within the shown
 * span); null for any other key (the caller decides what Enter and Escape do).
 */
export function nudge(move: PendingMove, key: string, technicians: readonly string[], b: Bounds): PendingMove | null {
	const row = technicians.indexOf(move.technician);
	const step = SLOT_MINUTES * MINUTE;
	const latest = b.shownTo.getTime() - step;
	switch (key) {
		case 'ArrowUp':
			return { ...move, technician: technicians[Math.max(0, row - 1)] ?? move.technician };
		case 'ArrowDown':
			return { ...move, technician: technicians[Math.min(technicians.length - 1, row + 1)] ?? move.technician };
		case 'ArrowLeft':
			return { ...move, start: new Date(Math.max(b.shownFrom.getTime(), move.start.getTime() - step)) };
		case 'ArrowRight':
			return { ...move, start: new Date(Math.min(latest, move.start.getTime() + step)) };
		default:
			return null;
	}
}

/** The technician's other calls whose windows overlap [start, end): a double booking to warn of. */
export function overlapping<T extends { id: string; assignedTechnician?: string | null; windowStart?: string | null; windowEnd?: string | null }>(
	calls: readonly T[],
	id: string,
	technician: string,
	window: { windowStart: string; windowEnd: string }
): T[] {
	const [s, e] = [new Date(window.windowStart).getTime(), new Date(window.windowEnd).getTime()];
	return calls.filter(
		(c) => c.id !== id && c.assignedTechnician === technician && c.windowStart && c.windowEnd && new Date(c.windowStart).getTime() < e && new Date(c.windowEnd).getTime() > s
	);
}

/** The rows: every technician named by the calls given, sorted. */
export function techniciansOf(calls: Iterable<{ assignedTechnician?: string | null }>): string[] {
	const names = new Set<string>();
	for (const c of calls) if (c.assignedTechnician) names.add(c.assignedTechnician);
	return [...names].sort((a, b) => a.localeCompare(b));
}

/** `13:30` in local time. */
export const clock = (date: Date | string) => {
	const d = new Date(date);
	return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
};
