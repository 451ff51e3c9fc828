import { describe, expect, it } from 'vitest';
import { nodeOf } from './node';

describe('nodeOf', () => {
	it('keeps a node of the asked type and nothing else', () => {
		type Answer = { __typename: 'Job'; id: string } | { __typename: 'Bid'; id: string; project: string };
		const job: Answer = { __typename: 'Job', id: 'j1' };
		const bid: Answer = { __typename: 'Bid', id: 'b1', project: 'P' };
		expect(nodeOf(job, 'Job')?.id).toBe('j1');
		expect(nodeOf(bid, 'Job')).toBeNull();
		expect(nodeOf(bid, 'Bid')?.project).toBe('P');
		expect(nodeOf(null, 'Job')).toBeNull();
	});
});
