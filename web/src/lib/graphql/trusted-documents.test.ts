import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Kind, parse, print, type DocumentNode } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { trustedDocuments } from '../../../scripts/trusted-documents.mjs';
import { LogoutMutation } from '../auth/documents';
import { createClient } from './client';
import * as generated from './gql/graphql';

const committed = JSON.parse(readFileSync(new URL('../../../../trusted-documents.json', import.meta.url), 'utf8')) as Record<string, string>;
const persisted = JSON.parse(readFileSync(new URL('./gql/persisted-documents.json', import.meta.url), 'utf8')) as Record<string, string>;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('trusted-documents.json: the documents the API runs for dashboard sessions', () => {
	it('is what codegen generates from the dashboard today (run `npm run codegen` and commit it when this fails)', () => {
		expect(readFileSync(new URL('../../../../trusted-documents.json', import.meta.url), 'utf8')).toBe(trustedDocuments(persisted));
	});

	it('keys every document by the SHA-256 of its text, and holds every operation the dashboard has', () => {
		for (const [hash, text] of Object.entries(committed)) expect(sha256(text), text.slice(0, 60)).toBe(hash);
		const operations = Object.values(generated).filter(
			(d): d is DocumentNode => (d as DocumentNode)?.kind === Kind.DOCUMENT && (d as DocumentNode).definitions.some((x) => x.kind === Kind.OPERATION_DEFINITION)
		);
		expect(operations.length).toBeGreaterThan(20);
		for (const document of operations) {
			const hash = (document as { __meta__?: { hash?: string } }).__meta__?.hash?.replace(/^sha256:/, '');
			expect(hash && committed[hash], JSON.stringify(document.definitions.map((d) => ('name' in d ? d.name?.value : d.kind)))).toBeTruthy();
		}
	});
});

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A stand-in API that records each request's JSON body and answers with `answer(body, n)`. */
async function startApi(answer: (body: any, n: number) => object) {
	const bodies: any[] = [];
	server = createServer((req, res) => {
		let text = '';
		req.on('data', (c) => (text += c)).on('end', () => {
			const body = JSON.parse(text);
			bodies.push(body);
			res.writeHead(200, { 'content-type': 'application/graphql-response+json' });
			res.end(JSON.stringify(answer(body, bodies.length)));
		});
	});
	await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
	return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, bodies };
}

describe('the client sends persisted documents by hash', () => {
	const logoutHash = sha256(committed[Object.keys(committed).find((k) => committed[k]!.startsWith('mutation Logout'))!]!);

	it('sends a generated operation as its hash alone, which the API resolves', async () => {
		const api = await startApi(() => ({ data: { __typename: 'Mutation', logout: true } }));
		const result = await createClient({ url: api.url }).mutation(LogoutMutation, {}).toPromise();
		expect(result.error).toBeUndefined();
		expect(result.data?.logout).toBe(true);
		expect(api.bodies).toEqual([{ operationName: 'Logout', extensions: { persistedQuery: { version: 1, sha256Hash: logoutHash } } }]);
	});

	it('sends the text after an API that does not know the hash says PersistedQueryNotFound', async () => {
		const api = await startApi((_body, n) =>
			n === 1 ? { errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] } : { data: { __typename: 'Mutation', logout: true } }
		);
		const result = await createClient({ url: api.url }).mutation(LogoutMutation, {}).toPromise();
		expect(result.data?.logout).toBe(true);
		expect(api.bodies).toHaveLength(2);
		expect(print(parse(api.bodies[1].query))).toBe(print(parse(committed[logoutHash]!)));
		expect(api.bodies[1].extensions.persistedQuery).toMatchObject({ sha256Hash: logoutHash, miss: true });
	});
});
