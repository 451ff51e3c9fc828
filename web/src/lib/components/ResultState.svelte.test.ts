import { render, screen } from '@testing-library/svelte';
import { CombinedError } from '@urql/core';
import { createRawSnippet } from 'svelte';
import { describe, expect, it } from 'vitest';
import ResultState from './ResultState.svelte';

const children = createRawSnippet(() => ({ render: () => '<p>the list</p>' }));

describe('ResultState', () => {
	it('shows loading, then the list', () => {
		render(ResultState, { fetching: true, empty: true, what: 'jobs', children });
		expect(screen.getByRole('status').textContent).toBe('Loading jobs…');
	});
	it('shows the empty state when nothing matches', () => {
		render(ResultState, { fetching: false, empty: true, emptyTitle: 'No jobs match', children });
		expect(screen.getByRole('heading').textContent).toBe('No jobs match');
	});
	it("shows the server's message when the query fails", () => {
		const error = new CombinedError({ graphQLErrors: [{ message: 'missing capability jobs', extensions: { code: 'FORBIDDEN' } }] });
		render(ResultState, { fetching: false, empty: true, error, what: 'jobs', children });
		expect(screen.getByRole('alert').textContent).toBe('Could not load jobs: missing capability jobs');
	});
	it('keeps the list on screen with a later error', () => {
		const error = new CombinedError({ networkError: new Error('down') });
		render(ResultState, { fetching: false, empty: false, error, children });
		expect(screen.getByText('the list')).toBeTruthy();
		expect(screen.getByRole('alert').textContent).toMatch(/cannot be reached/);
	});
});
