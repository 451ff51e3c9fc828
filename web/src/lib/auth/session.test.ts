import { describe, expect, it } from 'vitest';
import { actingTenantId } from './session';

const m = (tenantId: string) => ({ __typename: 'ViewerMembership' as const, tenantId, slug: tenantId, name: tenantId, role: 'admin' });

describe('actingTenantId', () => {
	it('keeps the chosen tenant while the user belongs to it', () => {
		expect(actingTenantId({ tenantId: 't1', memberships: [m('t1'), m('t2')] }, 't2')).toBe('t2');
	});
	it("falls back to the API's tenant, then to the first membership", () => {
		expect(actingTenantId({ tenantId: 't2', memberships: [m('t1'), m('t2')] }, 'gone')).toBe('t2');
		expect(actingTenantId({ tenantId: null, memberships: [m('t1'), m('t2')] }, undefined)).toBe('t1');
		expect(actingTenantId({ tenantId: null, memberships: [] }, 't1')).toBeNull();
	});
});
