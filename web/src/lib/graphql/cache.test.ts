import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from './client';

// The cache's `updates`, through a real client and graphcache: a stand-in API answers by operation name and
// counts the requests, so a list that must be refetched after a mutation shows up as a second request.

const endpoint = (id: string) => ({ __typename: 'WebhookEndpoint', id, url: `https://${id}.example/hooks` });
const endpointsList = (ids: string[]) => ({
	webhookEndpoints: { __typename: 'WebhookEndpointConnection', totalCount: ids.length, edges: ids.map((id) => ({ __typename: 'WebhookEndpointEdge', node: endpoint(id) })) }
});
const deliveries = (id: string, count: number) => ({
	node: { ...endpoint(id), deliveries: { __typename: 'WebhookEndpointDeliveriesConnection', totalCount: count } }
});

// Plain strings, not `gql` tags: codegen would take tagged documents for the app's own.
const EndpointsQuery = `
	query Endpoints {
		webhookEndpoints(first: 100) {
			totalCount
			edges {
				node {
					id
					url
				}
			}
		}
	}
`;
const DeliveriesQuery = `
	query Deliveries($id: ID!) {
		node(id: $id) {
			__typename
			... on WebhookEndpoint {
				id
				url
				deliveries(first: 20) {
					totalCount
				}
			}
		}
	}
`;
const mutation = (name: string, selection: string) => `
	mutation ${name}($input: ${name === 'createWebhookEndpoint' ? 'CreateWebhookEndpointInput' : name === 'resendWebhookMessage' ? 'ResendWebhookMessageInput' : 'WebhookEndpointInput'}!) {
		${name}(input: $input) ${selection}
	}
`;

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A stand-in API: `answers[operationName](variables)` is the `data` of each answer; every request is recorded. */
async function startApi(answers: Record<string, (variables: Record<string, unknown>) => object>) {
	const requests: string[] = [];
	server = createServer((req, res) => {
		let body = '';
		req.on('data', (chunk) => (body += chunk));
		req.on('end', () => {
			// urql sends queries as GET (within the URL length limit) and mutations as POST
			const params = new URL(req.url ?? '/', 'http://api').searchParams;
			const { operationName, variables } = (
				req.method === 'GET' ? { operationName: params.get('operationName'), variables: JSON.parse(params.get('variables') ?? '{}') } : JSON.parse(body)
			) as { operationName: string; variables: Record<string, unknown> };
			requests.push(operationName);
			res.writeHead(200, { 'content-type': 'application/graphql-response+json' });
			res.end(JSON.stringify({ data: answers[operationName]!(variables) }));
		});
	});
	await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
	return { client: createClient({ url }), requests: (name: string) => requests.filter((r) => r === name).length };
}

describe('cache updates: webhook endpoints', () => {
	it('refetches the endpoints list after an endpoint is created, then after one is deleted', async () => {
		let ids = ['a'];
		const api = await startApi({
			Endpoints: () => endpointsList(ids),
			createWebhookEndpoint: () => ((ids = ['b', ...ids]), { createWebhookEndpoint: { __typename: 'WebhookEndpointWithSecret', secret: 'whsec_x', endpoint: endpoint('b') } }),
			deleteWebhookEndpoint: () => ((ids = ids.filter((id) => id !== 'a')), { deleteWebhookEndpoint: { __typename: 'DeleteWebhookEndpointPayload', deletedEndpointId: 'a' } })
		});
		const list = async () => (await api.client.query(EndpointsQuery, {}).toPromise()).data?.webhookEndpoints.edges.map((e: { node: { id: string } }) => e.node.id);

		expect(await list()).toEqual(['a']);
		expect(await list()).toEqual(['a']);
		expect(api.requests('Endpoints')).toBe(1); // served from the cache

		await api.client.mutation(mutation('createWebhookEndpoint', '{ secret endpoint { id url } }'), { input: { url: 'https://b.example/hooks' } }).toPromise();
		expect(await list()).toEqual(['b', 'a']);
		expect(api.requests('Endpoints')).toBe(2);

		await api.client.mutation(mutation('deleteWebhookEndpoint', '{ deletedEndpointId }'), { input: { id: 'a' } }).toPromise();
		expect(await list()).toEqual(['b']);
		expect(api.requests('Endpoints')).toBe(3);
	});

	it("refetches only the named endpoint's delivery log after a test event or a resend", async () => {
		const counts: Record<string, number> = { a: 0, b: 0 };
		const api = await startApi({
			Deliveries: (v) => deliveries(v.id as string, counts[v.id as string]!),
			sendTestWebhook: (v) => ((counts[(v.input as { id: string }).id]! += 1), { sendTestWebhook: { __typename: 'SendTestWebhookPayload', message: { __typename: 'WebhookMessage', id: 'm1' } } }),
			resendWebhookMessage: (v) => ((counts[(v.input as { endpointId: string }).endpointId]! += 1), { resendWebhookMessage: { __typename: 'WebhookDeliveriesPayload', count: 1 } })
		});
		const total = async (id: string) => (await api.client.query(DeliveriesQuery, { id }).toPromise()).data?.node.deliveries.totalCount;

		expect([await total('a'), await total('b')]).toEqual([0, 0]);
		await api.client.mutation(mutation('sendTestWebhook', '{ message { id } }'), { input: { id: 'a' } }).toPromise();
		expect([await total('a'), await total('b')]).toEqual([1, 0]);
		expect(api.requests('Deliveries')).toBe(3); // a twice, b once (b's log stayed cached)

		await api.client.mutation(mutation('resendWebhookMessage', '{ count }'), { input: { messageId: 'm1', endpointId: 'b' } }).toPromise();
		expect([await total('a'), await total('b')]).toEqual([1, 1]);
		expect(api.requests('Deliveries')).toBe(4);
	});
});

describe('cache updates: the overview figures', () => {
	it("refetches a board entity's figures after an edit of one of its items, which changes no list", async () => {
		let amount = 100_00;
		const api = await startApi({
			Figures: () => ({ bidFigures: { __typename: 'BidFigures', byStatus: [{ __typename: 'BidValue', status: 'DRAFT', count: 1, amountCents: amount }] } }),
			updateBid: () => ((amount += 50_00), { updateBid: { __typename: 'UpdateBidPayload', bid: { __typename: 'Bid', id: 'b1', amountCents: amount } } })
		});
		const value = async () => (await api.client.query(`query Figures { bidFigures { byStatus { status count amountCents } } }`, {}).toPromise()).data?.bidFigures.byStatus[0].amountCents;

		expect(await value()).toBe(100_00);
		expect(await value()).toBe(100_00);
		expect(api.requests('Figures')).toBe(1); // served from the cache

		await api.client.mutation(`mutation updateBid($input: UpdateBidInput!) { updateBid(input: $input) { bid { id amountCents } } }`, { input: { id: 'b1' } }).toPromise();
		expect(await value()).toBe(150_00);
		expect(api.requests('Figures')).toBe(2);
	});
});
