import { describe, expect, it } from 'vitest';
import { addDays, dayBounds, movedWindow, nudge, overlapping, placement, slotAt, techniciansOf } from './timeline';

const b = dayBounds('2026-03-10');
const at = (h: number, m = 0) => new Date(2026, 2, 10, h, m);

describe('the dispatch timeline', () => {
	it('places a window in the shown span, clipped to it', () => {
		expect(placement(at(13).toISOString(), at(17).toISOString(), b)).toEqual({ left: (7 / 14) * 100, width: (4 / 14) * 100 });
		const early = placement(at(4).toISOString(), at(8).toISOString(), b);
		expect(early.left).toBe(0);
		expect(early.width).toBeCloseTo((2 / 14) * 100);
		expect(placement(at(9).toISOString(), null, b).width).toBeCloseTo((2 / 14) * 100); // no end: two hours
	});

	it('lands a drop on the start of its half-hour slot', () => {
		expect(slotAt(0, b)).toEqual(at(6));
		expect(slotAt(0.5, b)).toEqual(at(13));
		expect(slotAt(0.52, b)).toEqual(at(13));
		expect(slotAt(1, b)).toEqual(at(19, 30));
	});

	it('keeps a window’s length when it moves', () => {
		expect(movedWindow({ windowStart: at(13).toISOString(), windowEnd: at(14, 30).toISOString() }, at(9))).toEqual({ windowStart: at(9).toISOString(), windowEnd: at(10, 30).toISOString() });
		expect(movedWindow({}, at(9)).windowEnd).toBe(at(11).toISOString());
	});

	it('moves a pending move by arrow keys, within the rows and the shown span', () => {
		const techs = ['Ann', 'Bo', 'Cy'];
		const move = { id: 'c1', technician: 'Bo', start: at(6) };
		expect(nudge(move, 'ArrowUp', techs, b)?.technician).toBe('Ann');
		expect(nudge({ ...move, technician: 'Cy' }, 'ArrowDown', techs, b)?.technician).toBe('Cy');
		expect(nudge(move, 'ArrowLeft', techs, b)?.start).toEqual(at(6));
		expect(nudge(move, 'ArrowRight', techs, b)?.start).toEqual(at(6, 30));
		expect(nudge({ ...move, start: at(19, 30) }, 'ArrowRight', techs, b)?.start).toEqual(at(19, 30));
		expect(nudge(move, 'Enter', techs, b)).toBeNull();
	});

	it('finds a technician’s other calls that overlap a window', () => {
		const calls = [
			{ id: 'a', assignedTechnician: 'Ann', windowStart: at(9).toISOString(), windowEnd: at(11).toISOString() },
			{ id: 'b', assignedTechnician: 'Ann', windowStart: at(11).toISOString(), windowEnd: at(12).toISOString() },
			{ id: 'c', assignedTechnician: 'Bo', windowStart: at(9).toISOString(), windowEnd: at(11).toISOString() }
		];
		const window = { windowStart: at(10).toISOString(), windowEnd: at(11).toISOString() };
		expect(overlapping(calls, 'x', 'Ann', window).map((c) => c.id)).toEqual(['a']);
		expect(overlapping(calls, 'a', 'Ann', window)).toEqual([]);
		expect(techniciansOf([...calls, { assignedTechnician: null }])).toEqual(['Ann', 'Bo']);
	});

	it('steps between days', () => {
		expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
		expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
	});
});
