import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gql } from '@urql/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, prefetch } from './client';
import { NetworkStatus } from './network-status.svelte';

const query = '{ serverInfo { version } }';
const serverInfo = { __typename: 'ServerInfo', version: '1.2.3' };
let server: Server | undefined;

/** Starts a stand-in API on 127.0.0.1; `answer` is called with the 1-based request number. */
async function startApi(answer: (attempt: number) => 'drop' | object) {
	let attempts = 0;
	const listener: RequestListener = (req, res) => {
		const reply = answer(++attempts);
		if (reply === 'drop') return req.socket.destroy();
		res.writeHead(200, { 'content-type': 'application/graphql-response+json' });
		res.end(JSON.stringify(reply));
	};
	server = createServer(listener);
	await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return { url: `http://127.0.0.1:${port}/graphql`, attempts: () => attempts };
}

afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

describe('createClient', () => {
	it('retries a network error and returns the answer that follows', async () => {
		const api = await startApi((attempt) => (attempt === 1 ? 'drop' : { data: { serverInfo } }));
		const result = await createClient({ url: api.url }).query(query, {}).toPromise();
		expect(result.error).toBeUndefined();
		expect(result.data).toEqual({ serverInfo: { version: '1.2.3' } });
		expect(api.attempts()).toBe(2);
	});

	it('gives up on network errors after three attempts', async () => {
		const api = await startApi(() => 'drop');
		const result = await createClient({ url: api.url }).query(query, {}).toPromise();
		expect(result.error?.networkError).toBeInstanceOf(Error);
		expect(api.attempts()).toBe(3);
	});

	it('does not retry GraphQL errors', async () => {
		const api = await startApi(() => ({ data: null, errors: [{ message: 'Not allowed' }] }));
		const result = await createClient({ url: api.url }).query(query, {}).toPromise();
		expect(result.error?.graphQLErrors.map((e) => e.message)).toEqual(['Not allowed']);
		expect(api.attempts()).toBe(1);
	});

	it("sends cookies through the given fetch (SvelteKit's in load functions)", async () => {
		const api = await startApi(() => ({ data: { serverInfo } }));
		const credentials: Array<RequestCredentials | undefined> = [];
		const recordingFetch: typeof fetch = (input, init) => {
			credentials.push(init?.credentials);
			return fetch(input, init);
		};
		const result = await createClient({ url: api.url, fetch: recordingFetch })
			.query(query, {})
			.toPromise();
		expect(result.data).toEqual({ serverInfo: { version: '1.2.3' } });
		expect(credentials).toEqual(['include']);
	});

	it('sends the given headers (the tenant) with every operation', async () => {
		const api = await startApi(() => ({ data: { serverInfo } }));
		const sent: Array<string | null> = [];
		const recordingFetch: typeof fetch = (input, init) => {
			sent.push(new Headers(init?.headers).get('x-tenant-id'));
			return fetch(input, init);
		};
		const client = createClient({ url: api.url, fetch: recordingFetch, headers: { 'x-tenant-id': 'acme' } });
		await client.query(query, {}).toPromise();
		expect(sent).toEqual(['acme']);
	});

	it('tells the network status when the API cannot be reached, and when it answers again', async () => {
		let down = true;
		const api = await startApi(() => (down ? 'drop' : { data: { serverInfo } }));
		const network = new NetworkStatus();
		const client = createClient({ url: api.url, network });
		const failed = await client.query(query, {}, { requestPolicy: 'network-only' }).toPromise();
		expect(failed.error?.networkError).toBeInstanceOf(Error);
		expect(network.lost).toBe(true);
		down = false;
		await client.query(query, {}, { requestPolicy: 'network-only' }).toPromise();
		expect(network.lost).toBe(false);
		expect(network.http).toBe('up');
	});

	it('counts a GraphQL error as the API answering', async () => {
		const api = await startApi(() => ({ data: null, errors: [{ message: 'Not allowed' }] }));
		const network = new NetworkStatus();
		await createClient({ url: api.url, network }).query(query, {}).toPromise();
		expect(network.http).toBe('up');
	});
});

describe('prefetch', () => {
	it("asks through the load function's fetch, and the page's query then reads the cache without a request", async () => {
		const api = await startApi(() => ({ data: { serverInfo } }));
		let loadFetches = 0;
		const loadFetch: typeof fetch = (input, init) => (loadFetches++, fetch(input, init));
		const client = createClient({ url: api.url });
		await prefetch(client, loadFetch, gql<{ serverInfo: { version: string } }, Record<string, never>>(query), {});
		expect([loadFetches, api.attempts()]).toEqual([1, 1]);

		const page = await client.query(query, {}).toPromise();
		expect(page.data).toEqual({ serverInfo: { version: '1.2.3' } });
		expect(api.attempts()).toBe(1);
	});

	it('leaves a failure to the page (no throw), which then asks again', async () => {
		const api = await startApi((attempt) => (attempt === 1 ? { data: null, errors: [{ message: 'Not allowed' }] } : { data: { serverInfo } }));
		const client = createClient({ url: api.url });
		await expect(prefetch(client, fetch, gql(query), {})).resolves.toBeUndefined();
		expect((await client.query(query, {}).toPromise()).data).toEqual({ serverInfo: { version: '1.2.3' } });
		expect(api.attempts()).toBe(2);
	});
});
