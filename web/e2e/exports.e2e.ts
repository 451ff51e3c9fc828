import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { apiSession, type ApiSession, newPage } from './support/harness.ts';

/** Clicks the page's "Download CSV" link and returns the downloaded file's rows (header first). */
async function downloadCsv(page: Page, name: string | RegExp = 'Download CSV'): Promise<string[][]> {
	const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name }).click()]);
	expect(download.suggestedFilename()).toMatch(/\.csv$/);
	return parse(await readFile((await download.path())!, 'utf8')) as string[][];
}

/** Every node of a list through GraphQL, page by page: `field(first, after, …args) { … }`. */
async function everything(api: ApiSession, field: string, args: string, selection: string, variables: Record<string, unknown>) {
	const nodes: any[] = [];
	let after: string | null = null;
	do {
		const data = await api(`query ($after: String${args ? `, ${args}` : ''}) { l: ${field}(first: 100, after: $after${argNames(args)}) { pageInfo { hasNextPage endCursor } edges { node { ${selection} } } } }`, { ...variables, after });
		nodes.push(...data.l.edges.map((e: any) => e.node));
		after = data.l.pageInfo.hasNextPage ? data.l.pageInfo.endCursor : null;
	} while (after);
	return nodes;
}
const argNames = (args: string) => args.split(',').filter(Boolean).map((a) => { const n = a.split(':')[0]!.trim().slice(1); return `, ${n}: $${n}`; }).join('');

describe('CSV exports', () => {
	it('the jobs board downloads its filtered jobs, in its order, as the API lists them', async () => {
		const api = await apiSession('admin@all-county.example', 'all_county');
		const { builders } = await api('{ builders(first: 1) { edges { node { id name } } } }');
		const builder = builders.edges[0].node;
		const page = await newPage({ user: 'admin@all-county.example' });
		await page.goto(`/jobs?builder=${encodeURIComponent(builder.id)}`);
		await page.locator('article').first().waitFor();
		const [header, ...rows] = await downloadCsv(page);
		expect(header!.slice(0, 4)).toEqual(['id', 'builder.id', 'builder.name', 'community']);
		const jobs = await everything(api, 'jobs', '$filter: JobFilter, $orderBy: JobOrder', 'id community lot status scheduledDate', {
			filter: { builderId: builder.id },
			orderBy: { field: 'SCHEDULED_DATE', direction: 'ASC' }
		});
		expect(jobs.length).toBeGreaterThan(10);
		const col = (name: string) => header!.indexOf(name);
		expect(rows.map((r) => [r[col('id')], r[col('community')], r[col('lot')], r[col('status')], r[col('scheduledDate')]])).toEqual(
			jobs.map((j) => [j.id, j.community, j.lot ?? '', j.status, j.scheduledDate])
		);
		expect(new Set(rows.map((r) => r[col('builder.name')]))).toEqual(new Set([builder.name]));
	});

	it('a dispatcher downloads the service calls the filters show; a dispatcher has no audit trail export', async () => {
		const api = await apiSession('dispatcher@h2o.example', 'h2o');
		const page = await newPage({ user: 'dispatcher@h2o.example' });
		await page.goto('/service-calls?priority=EMERGENCY&status=NEW&status=SCHEDULED');
		await page.locator('main li').first().waitFor();
		const [header, ...rows] = await downloadCsv(page);
		const calls = await everything(api, 'serviceCalls', '$filter: ServiceCallFilter, $orderBy: ServiceCallOrder', 'id priority status', {
			filter: { priority: ['EMERGENCY'], status: ['NEW', 'SCHEDULED'] },
			orderBy: { field: 'PRIORITY', direction: 'ASC' }
		});
		expect(calls.length).toBeGreaterThan(0);
		expect(rows.map((r) => [r[header!.indexOf('id')], r[header!.indexOf('priority')], r[header!.indexOf('status')]])).toEqual(calls.map((c) => [c.id, c.priority, c.status]));
		// the same address without the permission is refused by the API, through the dashboard
		const refused = await page.request.get('/exports/audit-events.csv');
		expect(refused.status()).toBe(403);
		expect((await refused.json()).errors[0].extensions.code).toBe('FORBIDDEN');
	});

	it('an admin downloads an object’s history from its page, as the audit trail lists it', async () => {
		const api = await apiSession('admin@all-county.example', 'all_county');
		const { jobs } = await api('{ jobs(first: 1, filter: { status: [SCHEDULED] }) { edges { node { id version } } } }');
		const job = jobs.edges[0].node;
		const move = 'mutation ($input: ChangeJobStatusInput!) { changeJobStatus(input: $input) { job { id version } } }';
		const held = await api(move, { input: { id: job.id, status: 'ON_HOLD', expectedVersion: job.version } });
		await api(move, { input: { id: job.id, status: 'SCHEDULED', expectedVersion: held.changeJobStatus.job.version } });
		const page = await newPage({ user: 'admin@all-county.example' });
		await page.goto(`/jobs/${encodeURIComponent(job.id)}`);
		const [header, ...rows] = await downloadCsv(page, 'Download history (CSV)');
		const events = await everything(api, 'auditEvents', '$filter: AuditEventFilter', 'id action entityNodeId', { filter: { entityId: job.id } });
		expect(events.filter((e) => e.action === 'status_changed').length).toBeGreaterThanOrEqual(2);
		const col = (name: string) => header!.indexOf(name);
		expect(rows.map((r) => [r[col('id')], r[col('action')], r[col('entityNodeId')]])).toEqual(events.map((e) => [e.id, e.action, job.id]));
	});
});
