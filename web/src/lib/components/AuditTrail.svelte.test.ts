import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import AuditTrail from './AuditTrail.svelte';

describe('AuditTrail', () => {
	it('lists who changed what', () => {
		const events = [{ id: '1', action: 'status_changed', changedAt: '2026-01-05T10:00:00Z', changedFields: ['status', 'version'], actor: { kind: 'user', label: 'admin@all-county.example' } }];
		render(AuditTrail, { props: { trail: { totalCount: 1, edges: events.map((node) => ({ node })) } } });
		expect(screen.getByRole('listitem').textContent).toMatch(/Status changed\s+by admin@all-county.example.*status, version/);
	});
	it('says when nothing was recorded', () => {
		render(AuditTrail, { props: { trail: { totalCount: 0, edges: [] } } });
		expect(screen.getByText('No recorded changes yet.')).toBeTruthy();
	});
	it('says why the history is missing when the API refused it', () => {
		render(AuditTrail, { props: { trail: null, unavailable: 'not available to your role' } });
		expect(screen.getByText('History is not available to your role.')).toBeTruthy();
	});
});
