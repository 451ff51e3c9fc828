import { describe, expect, it } from 'vitest';
import { rolePermissions } from '../../../../api/src/auth/permissions.ts';
import { allows, refusal } from './permissions';

/** A viewer as the API's `viewer { permissions }` answers for `role` (sorted, like the API). */
const viewerWithRole = (role: keyof typeof rolePermissions) => ({ role, permissions: [...rolePermissions[role]].sort() });

describe('allows', () => {
	it('follows the permissions the API sent', () => {
		const viewer = { permissions: ['job:read', 'job:write'] };
		expect(allows(viewer, 'job:write')).toBe(true);
		expect(allows(viewer, 'bid:write')).toBe(false);
	});

	it('lets a user with no answer from the API (signed out, API down) take no action', () => {
		expect(allows(null, 'job:read')).toBe(false);
		expect(allows(undefined, 'job:read')).toBe(false);
		expect(allows({ permissions: [] }, 'job:read')).toBe(false);
	});

	it('matches whole action names, not parts of them', () => {
		expect(allows({ permissions: ['serviceCall:write'] }, 'tenant:read')).toBe(false);
		expect(allows({ permissions: ['job:writer'] }, 'job:write')).toBe(false);
	});

	it('agrees with the roles of the API’s table on the dashboard’s actions', () => {
		expect(allows(viewerWithRole('viewer'), 'job:write')).toBe(false);
		expect(allows(viewerWithRole('viewer'), 'job:read')).toBe(true);
		expect(allows(viewerWithRole('dispatcher'), 'serviceCall:write')).toBe(true);
		expect(allows(viewerWithRole('dispatcher'), 'bid:write')).toBe(false);
		expect(allows(viewerWithRole('estimator'), 'bid:write')).toBe(true);
		expect(allows(viewerWithRole('estimator'), 'serviceCall:write')).toBe(false);
	});
});

describe('refusal', () => {
	it('says what cannot be done and names the role', () => {
		expect(refusal({ role: 'viewer' }, 'edit the job')).toBe("You can't edit the job: your role here is viewer. An owner or admin can change that.");
	});

	it('still explains itself without a role (an API key, or the API unreachable)', () => {
		expect(refusal({ role: null }, 'move jobs')).toMatch(/^You can't move jobs: /);
		expect(refusal(null, 'move jobs')).not.toMatch(/undefined|null/);
	});
});
