import { render, screen } from '@testing-library/svelte';
import { CombinedError } from '@urql/core';
import { describe, expect, it } from 'vitest';
import Health from './Health.svelte';

describe('Health', () => {
	it('shows a loading state until a result arrives', () => {
		render(Health, { result: {} });
		expect(screen.getByRole('status').textContent).toBe('Checking the API…');
	});

	it('shows the version when the API answers', () => {
		const serverInfo = { __typename: 'ServerInfo' as const, version: '1.2.3', time: '2026-01-01T00:00:00.000Z' };
		render(Health, { result: { data: { __typename: 'Query', serverInfo } } });
		expect(screen.getByRole('status').textContent).toBe('API healthy, version 1.2.3');
		expect(screen.queryByRole('alert')).toBeNull();
	});

	it('shows the error message when the API fails', () => {
		const error = new CombinedError({ networkError: new Error('connect ECONNREFUSED') });
		render(Health, { result: { error } });
		expect(screen.getByRole('alert').textContent).toBe(
			'API unreachable: [Network] connect ECONNREFUSED'
		);
		expect(screen.queryByRole('status')).toBeNull();
	});
});
