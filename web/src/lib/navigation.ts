import type { Action } from '$lib/auth/permissions';
import type { SessionQuery } from '$lib/graphql/gql/graphql';

type TenantCapabilities = NonNullable<SessionQuery['tenant']>['config']['capabilities'];

/** Entity kinds a tenant may have switched on: the fields of the API's `TenantCapabilities`. */
export type Capability = keyof Omit<TenantCapabilities, '__typename'>;

export const ALL_CAPABILITIES: readonly Capability[] = ['jobs', 'bids', 'serviceCalls', 'marketing'];

export interface NavItem {
	href: string;
	label: string;
	/** Shown when the tenant has any of these on; always shown when absent. */
	requires?: readonly Capability[];
	/** Shown only to users with this permission (besides the capability). */
	permission?: Action;
}

export const NAV_ITEMS: readonly NavItem[] = [
	{ href: '/jobs', label: 'Jobs board', requires: ['jobs'] },
	{ href: '/bids', label: 'Bids', requires: ['bids'] },
	{ href: '/service-calls', label: 'Service calls', requires: ['serviceCalls'] },
	{ href: '/builders', label: 'Builders', requires: ['jobs', 'bids'] },
	{ href: '/marketing', label: 'Marketing', requires: ['marketing'], permission: 'marketing:read' },
	{ href: '/settings', label: 'Settings' }
];

/** The items a tenant with `capabilities` on should see, in their order. */
export function visibleNavItems(
	items: readonly NavItem[],
	capabilities: Iterable<Capability>
): NavItem[] {
	const on = new Set(capabilities);
	return items.filter((item) => !item.requires || item.requires.some((c) => on.has(c)));
}

/** Whether `href` is the current section: the page itself or one below it (`/jobs/123` is in `/jobs`). */
export function isCurrent(href: string, pathname: string): boolean {
	return href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`);
}

/** The capabilities switched on in a tenant's configuration (none when it is unknown). */
export function enabledCapabilities(capabilities: Omit<TenantCapabilities, '__typename'> | null | undefined): Capability[] {
	return capabilities ? ALL_CAPABILITIES.filter((c) => capabilities[c]) : [];
}
