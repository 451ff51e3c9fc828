import type { TestApp } from "../support/app.ts";
import { CREATE_JOB, ok } from "../support/domain.ts";

/** GraphQL documents and small helpers shared by the end-to-end webhook tests (CREATE_JOB is support/domain.ts's). */
export { CREATE_JOB };
export const CREATE_ENDPOINT = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id version url filterTypes } } }`;
export const ENDPOINT_LOG = `query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { failingSince deliveries(first: 50) { totalCount edges { node {
  status attemptCount message { eventId eventType } attempts(first: 20) { edges { node { attempt statusCode latencyMs responseBodyExcerpt success error } } } } } } } } }`;

export interface CreatedEndpoint {
  id: string;
  secret: string;
}

export async function createEndpoint(t: TestApp, input: Record<string, unknown>, tenant = "all_county"): Promise<CreatedEndpoint> {
  const { createWebhookEndpoint: r } = await ok(t, CREATE_ENDPOINT, { input }, tenant);
  return { id: r.endpoint.id, secret: r.secret };
}

export async function firstBuilderId(t: TestApp): Promise<string> {
  return (await ok(t, `{ builders(first: 1) { edges { node { id } } } }`)).builders.edges[0].node.id;
}

export async function createJob(t: TestApp, builderId: string, community: string): Promise<{ id: string; version: number }> {
  return (await ok(t, CREATE_JOB, { input: { builderId, community, scheduledDate: "2026-05-01" } })).createJob.job;
}

/** The entity kinds whose events the marketing module makes (vocabulary-marketing.test.ts); vocabulary.test.ts covers every other kind of the catalog. */
export const MARKETING_ENTITY_TYPES = ["marketing_post", "channel_account"];
