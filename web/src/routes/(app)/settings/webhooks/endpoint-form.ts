import { dateTime } from '$lib/format';
import { changedFields } from '$lib/components/form-values';

/** Sent by `sendTestWebhook` whatever an endpoint's filter; the API refuses it in a filter, so the form leaves it out. */
export const TEST_EVENT_TYPE = 'webhook.test';

/** The event types an endpoint can choose in its filter (the catalog without the test event). */
export function subscribableEventTypes<T extends { name: string }>(types: readonly T[]): T[] {
	return types.filter((t) => t.name !== TEST_EVENT_TYPE);
}

/** Event types grouped by the entity they are about (`job.created` → `job`), in catalog order, for the filter's fieldsets. */
export function groupByEntity<T extends { name: string }>(types: readonly T[]): Array<{ entity: string; types: T[] }> {
	const groups = new Map<string, T[]>();
	for (const type of types) {
		const entity = type.name.split('.')[0]!;
		groups.set(entity, [...(groups.get(entity) ?? []), type]);
	}
	return [...groups].map(([entity, list]) => ({ entity, types: list }));
}

/** An endpoint's settings as the API takes them (`CreateWebhookEndpointInput` / `UpdateWebhookEndpointInput`). */
export interface EndpointSettings {
	url: string;
	description: string;
	filterTypes: string[];
	rateLimitPerSecond: number | null;
}

/** The endpoint form as typed: text fields stay strings until submitted. */
export interface EndpointDraft {
	url: string;
	description: string;
	filterTypes: string[];
	rateLimit: string;
}

export const emptyDraft = (): EndpointDraft => ({ url: '', description: '', filterTypes: [], rateLimit: '' });

/** The form filled with an endpoint's current settings, for editing. */
export function draftOf(endpoint: { url: string; description: string; filterTypes: readonly string[]; rateLimitPerSecond?: number | null }): EndpointDraft {
	return {
		url: endpoint.url,
		description: endpoint.description,
		filterTypes: [...endpoint.filterTypes],
		rateLimit: endpoint.rateLimitPerSecond == null ? '' : String(endpoint.rateLimitPerSecond)
	};
}

/**
 * The settings a draft asks for, or the messages for fields that cannot be sent (an `Int` cannot carry "ten").
 * The URL, its safety and the limits' ranges are the server's to judge; its messages show next to the fields.
 */
export function settingsOf(draft: EndpointDraft): { settings: EndpointSettings } | { fieldErrors: Record<string, string> } {
	const rate = draft.rateLimit.trim();
	if (rate && !/^\d+$/.test(rate)) return { fieldErrors: { rateLimitPerSecond: 'a whole number of messages per second, or empty for no limit' } };
	return {
		settings: { url: draft.url.trim(), description: draft.description.trim(), filterTypes: [...new Set(draft.filterTypes)].sort(), rateLimitPerSecond: rate ? Number(rate) : null }
	};
}

/** Only what the draft changes (an unchanged URL is not checked again; the filter compares as a set). */
export function changedSettings(current: EndpointSettings, draft: EndpointDraft): { changes: Partial<EndpointSettings> } | { fieldErrors: Record<string, string> } {
	const next = settingsOf(draft);
	if ('fieldErrors' in next) return next;
	return { changes: changedFields({ ...current, filterTypes: [...current.filterTypes].sort() }, next.settings) };
}

/** How long the delivery log keeps refreshing after a send, while the worker has yet to create the delivery. */
export const SEND_SETTLE_MS = 30_000;

/** Whether the delivery log should refresh itself: a delivery is still pending, or a send was just made. */
export function logNeedsRefresh(statuses: Iterable<string>, lastSentAt: number | null, now: number): boolean {
	for (const status of statuses) if (status === 'PENDING') return true;
	return lastSentAt !== null && now - lastSentAt < SEND_SETTLE_MS;
}

/** An endpoint's state in words, for its badge. */
export function endpointState(endpoint: { disabled: boolean; disabledReason?: string | null; failingSince?: string | null }): string {
	if (endpoint.disabled) return endpoint.disabledReason ? `Disabled: ${endpoint.disabledReason}` : 'Disabled';
	return endpoint.failingSince ? `Failing since ${dateTime(endpoint.failingSince)}` : 'Enabled';
}
