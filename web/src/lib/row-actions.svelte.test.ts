import { describe, expect, it } from 'vitest';
import { CombinedError } from '@urql/core';
import { GraphQLError } from 'graphql';
import { RowActions } from './row-actions.svelte';

const refusal = (code: string, message: string) =>
	new CombinedError({ graphQLErrors: [new GraphQLError(message, { extensions: { code } })] });

describe('RowActions', () => {
	it('marks the row busy while its mutation runs, then says what it did', async () => {
		const actions = new RowActions();
		let release!: (v: { data: { n: number } }) => void;
		const pending = actions.run('row-1', () => new Promise<{ data: { n: number } }>((r) => (release = r)), (data: { n: number }) => `done ${data.n}`);
		expect(actions.busy).toBe('row-1');
		release({ data: { n: 7 } });
		expect(await pending).toEqual({ n: 7 });
		expect(actions.busy).toBeNull();
		expect(actions.notice).toBe('done 7');
		expect(actions.message).toBeNull();
	});

	it('shows a refusal, clears it when the next action starts, and reads again on a version conflict', async () => {
		let reloaded = 0;
		const actions = new RowActions({ onConflict: () => (reloaded += 1), conflictHint: 'The list was reloaded; try again.' });
		expect(await actions.run('a', async () => ({ error: refusal('FORBIDDEN', 'Not allowed.') }), 'x')).toBeUndefined();
		expect(actions.message).toBe('Not allowed.');
		expect(reloaded).toBe(0);
		await actions.run('a', async () => ({ error: refusal('CONFLICT', 'Someone changed it.') }), 'x');
		expect(actions.message).toBe('Someone changed it. The list was reloaded; try again.');
		expect(reloaded).toBe(1);
		await actions.run('a', async () => ({ data: {} }), 'saved');
		expect(actions.message).toBeNull();
		expect(actions.notice).toBe('saved');
	});
});
