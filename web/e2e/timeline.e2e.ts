import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiSession, type ApiSession, newPage, screenshot } from './support/harness.ts';

// a day of its own, far from the seeded calls; local times (the browser runs on this machine's time zone)
const DAY = '2031-03-04';
const at = (h: number, m = 0) => new Date(2031, 2, 4, h, m).toISOString();
const stamp = Date.now();
const names = { booked: `Booked ${stamp}`, drag: `Dragged ${stamp}`, keys: `Keyed ${stamp}` };
const CALL = 'id assignedTechnician windowStart windowEnd version';

describe('the dispatch timeline', () => {
	let api: ApiSession;
	const ids: Record<keyof typeof names, string> = { booked: '', drag: '', keys: '' };
	const read = async (id: string) => (await api(`query ($id: ID!) { node(id: $id) { ... on ServiceCall { ${CALL} } } }`, { id })).node;

	beforeAll(async () => {
		api = await apiSession('dispatcher@h2o.example', 'h2o');
		const create = `mutation ($input: CreateServiceCallInput!) { createServiceCall(input: $input) { serviceCall { ${CALL} } } }`;
		const base = { customerPhone: '+18135550199', addressLine1: '1 Timeline Way', problem: 'Leaking valve' };
		ids.booked = (await api(create, { input: { ...base, customerName: names.booked, assignedTechnician: 'Dana Brooks', windowStart: at(9), windowEnd: at(11) } })).createServiceCall.serviceCall.id;
		ids.drag = (await api(create, { input: { ...base, customerName: names.drag, priority: 'EMERGENCY' } })).createServiceCall.serviceCall.id;
		ids.keys = (await api(create, { input: { ...base, customerName: names.keys, windowStart: at(15), windowEnd: at(16, 30) } })).createServiceCall.serviceCall.id;
	});
	afterAll(async () => {
		for (const id of Object.values(ids).filter(Boolean)) {
			const call = await read(id);
			await api('mutation ($input: ArchiveServiceCallInput!) { archiveServiceCall(input: $input) { serviceCall { id } } }', { input: { id, expectedVersion: call.version } });
		}
	});

	const row = (page: Page, technician: string) => page.locator(`section.row[data-technician="${technician}"]`);

	it('assigns an unassigned call by drag and drop through updateServiceCall; another dispatcher sees it live', async () => {
		const page = await newPage({ user: 'dispatcher@h2o.example', viewport: 'tablet' });
		const other = await newPage({ user: 'dispatcher@h2o.example' });
		for (const p of [page, other]) {
			await p.goto(`/service-calls/timeline?day=${DAY}`);
			await row(p, 'Dana Brooks').getByRole('button', { name: new RegExp(names.booked) }).waitFor();
		}
		await screenshot(page, 'timeline-tablet');
		const item = page.getByRole('region', { name: /^Unassigned/ }).getByRole('button', { name: new RegExp(names.drag) });
		const track = row(page, 'Luis Ortega').locator('.track');
		const box = (await track.boundingBox())!;
		// 13:00 is 7 of the 14 hours shown; drop a little inside that half-hour slot
		await item.dragTo(track, { targetPosition: { x: box.width * (7.1 / 14), y: box.height / 2 } });
		await expect.poll(async () => (await read(ids.drag)).assignedTechnician, { timeout: 10_000 }).toBe('Luis Ortega');
		const moved = await read(ids.drag);
		expect([moved.windowStart, moved.windowEnd]).toEqual([at(13), at(15)]); // no window before: two hours
		await row(page, 'Luis Ortega').getByRole('button', { name: new RegExp(names.drag) }).waitFor();
		expect(await page.getByRole('region', { name: /^Unassigned/ }).getByRole('button', { name: new RegExp(names.drag) }).count()).toBe(0);
		// live, in the other dispatcher's browser
		await row(other, 'Luis Ortega').getByRole('button', { name: new RegExp(names.drag) }).waitFor({ timeout: 10_000 });
		await screenshot(other, 'timeline-live');
		for (const p of [page, other]) expect(await p.pageErrors({ filter: 'all' })).toEqual([]);
	});

	it('assigns and reschedules with the keyboard alone, warns of a double booking, and the other dispatcher sees it live', async () => {
		const page = await newPage({ user: 'dispatcher@h2o.example' });
		const other = await newPage({ user: 'dispatcher@h2o.example' });
		for (const p of [page, other]) {
			await p.goto(`/service-calls/timeline?day=${DAY}`);
			await row(p, 'Dana Brooks').getByRole('button', { name: new RegExp(names.booked) }).waitFor();
		}
		const item = page.getByRole('region', { name: /^Unassigned/ }).getByRole('button', { name: new RegExp(names.keys) });
		await item.focus();
		await page.keyboard.press('Enter'); // picked: first row (Dana Brooks), its window's start (15:00)
		for (let i = 0; i < 12; i++) await page.keyboard.press('ArrowLeft'); // 09:00
		await page.keyboard.press('ArrowDown'); // Kim Nguyen
		await page.keyboard.press('ArrowUp'); // back to Dana Brooks
		await page.keyboard.press('Enter');
		await expect.poll(async () => (await read(ids.keys)).assignedTechnician, { timeout: 10_000 }).toBe('Dana Brooks');
		const keyed = await read(ids.keys);
		expect([keyed.windowStart, keyed.windowEnd]).toEqual([at(9), at(10, 30)]); // its length kept
		await page.getByRole('note').filter({ hasText: /Dana Brooks now has overlapping calls/ }).waitFor();
		expect(await page.getByRole('note').filter({ hasText: names.booked }).count()).toBe(1);
		await row(other, 'Dana Brooks').getByRole('button', { name: new RegExp(names.keys) }).waitFor({ timeout: 10_000 });

		// reschedule it by keyboard: focus is back on its block; one row down, one hour later
		const block = row(page, 'Dana Brooks').getByRole('button', { name: new RegExp(names.keys) });
		await block.focus();
		await page.keyboard.press('Enter');
		await page.keyboard.press('ArrowDown');
		await page.keyboard.press('ArrowRight');
		await page.keyboard.press('ArrowRight');
		await page.keyboard.press('Enter');
		await expect.poll(async () => (await read(ids.keys)).assignedTechnician, { timeout: 10_000 }).toBe('Kim Nguyen');
		expect((await read(ids.keys)).windowStart).toBe(at(10));
		await row(other, 'Kim Nguyen').getByRole('button', { name: new RegExp(names.keys) }).waitFor({ timeout: 10_000 });
		await screenshot(page, 'timeline-keyboard');
	});

	it('shows a version conflict instead of overwriting another dispatcher’s change', async () => {
		const page = await newPage({ user: 'dispatcher@h2o.example' });
		// the live feed goes through a relay that can hold back what the server sends. Going offline instead would
		// drop the socket, and the page re-syncs when it reconnects (it must): the test then raced the reconnection
		let holding = false;
		const held: unknown[] = [];
		await page.routeWebSocket(/\/graphql/, (socket) => {
			const server = socket.connectToServer();
			socket.onMessage((message) => server.send(message));
			server.onMessage((message) => (holding ? held.push(message) : socket.send(message)));
		});
		await page.goto(`/service-calls/timeline?day=${DAY}`);
		const block = row(page, 'Dana Brooks').getByRole('button', { name: new RegExp(names.booked) });
		await block.waitFor();
		// the call changes elsewhere; its live event is held, so the page keeps its stale version
		holding = true;
		const before = await read(ids.booked);
		await api('mutation ($input: UpdateServiceCallInput!) { updateServiceCall(input: $input) { serviceCall { id } } }', { input: { id: ids.booked, expectedVersion: before.version, problem: 'Changed elsewhere' } });
		await expect.poll(() => held.length, { timeout: 10_000 }).toBeGreaterThan(0);
		await block.focus();
		await page.keyboard.press('Enter');
		await page.keyboard.press('ArrowRight');
		await page.keyboard.press('Enter');
		await page.getByRole('alert').filter({ hasText: /reloaded/ }).waitFor({ timeout: 10_000 });
		const after = await read(ids.booked);
		expect([after.assignedTechnician, after.windowStart]).toEqual(['Dana Brooks', at(9)]);
		expect(after.version).toBe(before.version + 1);
	});
});
