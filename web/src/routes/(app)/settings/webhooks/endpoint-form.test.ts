import { describe, expect, it } from 'vitest';
import {
	changedSettings,
	draftOf,
	emptyDraft,
	endpointState,
	groupByEntity,
	logNeedsRefresh,
	SEND_SETTLE_MS,
	settingsOf,
	subscribableEventTypes
} from './endpoint-form';

const endpoint = { url: 'https://partner.example/hooks', description: 'CRM', filterTypes: ['job.created', 'bid.won'], rateLimitPerSecond: 5 };

describe('endpoint form', () => {
	it('leaves the test event out of the filter choices', () => {
		const types = [{ name: 'job.created' }, { name: 'webhook.test' }, { name: 'bid.won' }];
		expect(subscribableEventTypes(types).map((t) => t.name)).toEqual(['job.created', 'bid.won']);
	});

	it('groups event types by entity, in catalog order', () => {
		const types = [{ name: 'job.created' }, { name: 'bid.won' }, { name: 'job.archived' }, { name: 'service_call.created' }];
		expect(groupByEntity(types)).toEqual([
			{ entity: 'job', types: [{ name: 'job.created' }, { name: 'job.archived' }] },
			{ entity: 'bid', types: [{ name: 'bid.won' }] },
			{ entity: 'service_call', types: [{ name: 'service_call.created' }] }
		]);
	});

	it('turns a draft into settings: trimmed, filter deduplicated, empty rate limit as no limit', () => {
		const draft = { url: ' https://a.example/h ', description: '  Sync ', filterTypes: ['job.created', 'bid.won', 'job.created'], rateLimit: '' };
		expect(settingsOf(draft)).toEqual({ settings: { url: 'https://a.example/h', description: 'Sync', filterTypes: ['bid.won', 'job.created'], rateLimitPerSecond: null } });
		expect(settingsOf({ ...emptyDraft(), rateLimit: ' 12 ' })).toMatchObject({ settings: { rateLimitPerSecond: 12 } });
	});

	it('refuses a rate limit that is not a whole number, next to its field', () => {
		for (const rateLimit of ['ten', '2.5', '-3']) {
			const result = settingsOf({ ...emptyDraft(), rateLimit });
			expect(result).toEqual({ fieldErrors: { rateLimitPerSecond: expect.stringMatching(/whole number/) } });
		}
	});

	it('passes out-of-range numbers on for the server to judge', () => {
		expect(settingsOf({ ...emptyDraft(), rateLimit: '0' })).toMatchObject({ settings: { rateLimitPerSecond: 0 } });
	});

	it('fills the edit form from an endpoint and finds no change when nothing was edited', () => {
		const draft = draftOf(endpoint);
		expect(draft).toEqual({ url: endpoint.url, description: 'CRM', filterTypes: ['job.created', 'bid.won'], rateLimit: '5' });
		expect(changedSettings(endpoint, draft)).toEqual({ changes: {} });
		expect(draftOf({ ...endpoint, rateLimitPerSecond: null }).rateLimit).toBe('');
	});

	it('sends only what changed, including clearing the rate limit and the filter', () => {
		const draft = { ...draftOf(endpoint), description: 'CRM sync', filterTypes: [], rateLimit: '' };
		expect(changedSettings(endpoint, draft)).toEqual({ changes: { description: 'CRM sync', filterTypes: [], rateLimitPerSecond: null } });
		expect(changedSettings(endpoint, { ...draftOf(endpoint), url: 'https://b.example/' })).toEqual({ changes: { url: 'https://b.example/' } });
		expect(changedSettings(endpoint, { ...draftOf(endpoint), filterTypes: ['bid.won', 'job.created'] })).toEqual({ changes: {} });
	});

});

describe('delivery log refresh', () => {
	const now = 1_000_000;
	it('refreshes while a delivery is pending', () => {
		expect(logNeedsRefresh(['SUCCEEDED', 'PENDING'], null, now)).toBe(true);
	});
	it('refreshes for a while after a send, then stops once all are settled', () => {
		expect(logNeedsRefresh([], now - 1_000, now)).toBe(true);
		expect(logNeedsRefresh(['SUCCEEDED'], now - SEND_SETTLE_MS, now)).toBe(false);
		expect(logNeedsRefresh(['FAILED', 'SUCCEEDED'], null, now)).toBe(false);
	});
});

describe('endpoint state', () => {
	it('says disabled (with the reason), failing, or enabled', () => {
		expect(endpointState({ disabled: true, disabledReason: 'disabled by an admin' })).toBe('Disabled: disabled by an admin');
		expect(endpointState({ disabled: true })).toBe('Disabled');
		expect(endpointState({ disabled: false, failingSince: '2026-01-05T13:00:00Z' })).toMatch(/^Failing since Jan 5, 2026/);
		expect(endpointState({ disabled: false, failingSince: null })).toBe('Enabled');
	});
});
