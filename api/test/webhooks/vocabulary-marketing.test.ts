import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "../../src/jobs/runner.ts";
import { createLogger } from "../../src/logger.ts";
import { detailedCatalog, type DetailedCatalogEntry } from "../../src/webhooks/catalog-schemas.ts";
import { ok } from "../support/domain.ts";
import { googleError } from "../support/google-standin.ts";
import { signWebhook } from "../support/meta-standin.ts";
import { webhookReceivers, type ReceivedRequest, type WebhookReceiver } from "../support/webhook-receiver.ts";
import { connectAccount, postState, schedulePost, startMarketing, type MarketingHarness } from "../marketing/helpers.ts";
import { createEndpoint, MARKETING_ENTITY_TYPES } from "./flow.ts";
import { verifyWithBoth } from "./helpers.ts";

type Json = Record<string, any>;

const GOOGLE_POSTS = /^POST \/v4\/accounts\/111\/locations\/222\/localPosts$/;
const FACEBOOK_FEED = /^POST \/1111\/feed$/;
const meta503 = { status: 503, body: { error: { message: "(#2) Service temporarily unavailable", type: "OAuthException", code: 2, fbtrace_id: "y" } } };

/**
 * vocabulary.test.ts for the marketing module's event types: the change through GraphQL, the worker against the
 * platforms' stand-ins or a signed inbound notification, `node(id:)` read with the catalog's selection right after
 * it, the delivery on a real endpoint verified with svix and standardwebhooks, validated against the published JSON
 * Schema (ajv), and its `data.object` compared with what was read. The last test fails when an event type of these
 * kinds in the catalog has no case here.
 */
describe("marketing webhook payloads speak the API's vocabulary", () => {
  let h: MarketingHarness;
  let worker: WorkerHandle;
  let receiver: WebhookReceiver;
  let secret: string;
  let catalog: Map<string, DetailedCatalogEntry>;
  let facebook: { id: string };
  let google: { id: string };
  const validators = new Map<string, ValidateFunction>();
  const receivers = webhookReceivers();
  const covered = new Set<string>();

  beforeAll(async () => {
    h = await startMarketing({ MARKETING_BREAKER_THRESHOLD: "2", MARKETING_BREAKER_HALF_OPEN_MS: "1000", MARKETING_MAX_INLINE_WAIT_MS: "3000", MARKETING_HTTP_ATTEMPTS: "2", META_WEBHOOK_VERIFY_TOKEN: "meta-verify-token-0123456789" });
    worker = await startWorker(h.t.env, h.t.db.url, createLogger("silent"), 4);
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    catalog = new Map((await detailedCatalog()).map((e) => [e.name, e]));
    for (const e of catalog.values()) validators.set(e.name, ajv.compile(e.schema));
    receiver = await receivers.start();
    secret = (await createEndpoint(h.t, { url: receiver.url("/marketing"), filterTypes: MARKETING_ENTITY_TYPES.map((k) => `${k}.*`) })).secret;
  });
  afterAll(async () => {
    await worker?.stop();
    await receivers.closeAll();
    await h?.close();
  });

  const read = async (type: string, id: string): Promise<Json> => {
    const entry = catalog.get(type)!;
    return (await ok(h.t, `query($id: ID!) { node(id: $id) { ... on ${entry.graphqlType} { ${entry.selection} } } }`, { id })).node;
  };

  /**
   * Waits until the latest delivery of `type` about entity `id` carries `expected` as `data.object` (what `node(id:)`
   * answered right after the change; an entity changed several times in a row is sent several times), then checks
   * that delivery: both libraries' signature checks, the published schema, the payload version.
   */
  async function expectDelivered(type: string, id: string, expected: Json): Promise<void> {
    const latest = () => receiver.requests.filter((r: ReceivedRequest) => {
      const body = JSON.parse(r.body);
      return body.type === type && body.data.object?.id === id;
    }).at(-1);
    await expect.poll(() => (latest() ? JSON.parse(latest()!.body).data.object : null), { timeout: 20_000, interval: 100, message: type }).toEqual(expected);
    const body = verifyWithBoth(latest()!, secret) as Json;
    const validate = validators.get(type)!;
    expect(validate(body), `${type}: ${JSON.stringify(validate.errors)}`).toBe(true);
    expect(body.version).toBe(2);
    expect(body.data.object, type).toEqual(expected);
    covered.add(type);
  }

  /** Polls `node(id:)` with `type`'s selection until `until` holds, and returns that read. */
  async function readWhen(type: string, id: string, until: (o: Json) => boolean): Promise<Json> {
    let seen: Json = {};
    await expect.poll(async () => until((seen = await read(type, id))), { timeout: 20_000, interval: 50, message: `${type} ${id}` }).toBe(true);
    return seen;
  }

  it("channel_account.connected, marketing_post.created / .updated / .cancelled / .published", async () => {
    facebook = await connectAccount(h, "FACEBOOK", "1111");
    await expectDelivered("channel_account.connected", facebook.id, await read("channel_account.connected", facebook.id));

    const later = await schedulePost(h, "Open house on Saturday", [facebook.id], 3_600_000);
    await expectDelivered("marketing_post.created", later.id, await read("marketing_post.created", later.id));
    const updated = await ok(h.t, `mutation($input: UpdateMarketingPostInput!) { updateMarketingPost(input: $input) { marketingPost { id version } } }`, {
      input: { id: later.id, expectedVersion: later.version, text: "Open house on Sunday" },
    });
    await expectDelivered("marketing_post.updated", later.id, await read("marketing_post.updated", later.id));
    await ok(h.t, `mutation($input: CancelMarketingPostInput!) { cancelMarketingPost(input: $input) { marketingPost { id } } }`, {
      input: { id: later.id, expectedVersion: updated.updateMarketingPost.marketingPost.version },
    });
    await expectDelivered("marketing_post.cancelled", later.id, await read("marketing_post.cancelled", later.id));

    const now = await schedulePost(h, "We are hiring plumbers", [facebook.id], 0);
    await expect.poll(async () => (await postState(h, now.id)).status, { timeout: 20_000, interval: 200 }).toBe("PUBLISHED");
    await expectDelivered("marketing_post.published", now.id, await read("marketing_post.published", now.id));
  }, 60_000);

  it("marketing_post.status_changed (one channel done, one pending) and .partially_published", async () => {
    google = await connectAccount(h, "GOOGLE_BUSINESS", "accounts/111/locations/222");
    h.google.delays.push({ match: GOOGLE_POSTS, ms: 2_500 }); // Facebook finishes first, Google's answer comes later
    try {
      h.google.faults.push({ match: GOOGLE_POSTS, ...googleError(400, "INVALID_ARGUMENT", "Request contains an invalid argument."), times: 1 });
      const post = await schedulePost(h, "Two channels, one refuses", [facebook.id, google.id], 0);
      // Facebook's channel published, Google's still out: the post is read right then
      const channels = async () => Object.fromEntries((await ok(h.t, `query($id: ID!) { node(id: $id) { ... on MarketingPost { targets { status channelAccount { id } } } } }`, { id: post.id })).node.targets.map((t: Json) => [t.channelAccount.id, t.status]));
      await expect.poll(channels, { timeout: 20_000, interval: 50 }).toEqual({ [facebook.id]: "PUBLISHED", [google.id]: expect.stringMatching(/^(PENDING|PUBLISHING)$/) });
      const halfway = await read("marketing_post.status_changed", post.id);
      expect(halfway.status).toBe("PUBLISHING");
      await expectDelivered("marketing_post.status_changed", post.id, halfway);
      const done = await readWhen("marketing_post.partially_published", post.id, (o) => o.status === "PARTIALLY_PUBLISHED");
      await expectDelivered("marketing_post.partially_published", post.id, done);
    } finally {
      h.google.delays.length = 0;
    }
  }, 60_000);

  it("marketing_post.failed and channel_account.needs_reconnect (the platform refuses the token)", async () => {
    h.google.faults.push({ match: GOOGLE_POSTS, ...googleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."), times: 1 });
    const post = await schedulePost(h, "Refused token", [google.id], 0);
    const failed = await readWhen("marketing_post.failed", post.id, (o) => o.status === "FAILED");
    const account = await readWhen("channel_account.needs_reconnect", google.id, (o) => o.status === "NEEDS_RECONNECT");
    expect(account.lastError).toBeTruthy();
    await expectDelivered("marketing_post.failed", post.id, failed);
    await expectDelivered("channel_account.needs_reconnect", google.id, account);
  }, 60_000);

  it("channel_account.notified (a signed inbound Page notification, through the worker)", async () => {
    const body = JSON.stringify({ object: "page", entry: [{ id: "1111", time: Math.floor(Date.now() / 1000), changes: [{ field: "feed", value: { item: "comment", verb: "add", post_id: "1111_1", comment_id: "c1" } }] }] });
    const res = await fetch(`${h.api}/integrations/facebook/webhook`, { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": signWebhook(body, h.meta.appSecret) }, body });
    expect(res.status).toBe(200);
    const account = await readWhen("channel_account.notified", facebook.id, (o) => o.lastNotifiedAt !== null);
    expect(account.lastNotification).toBe("feed: comment add");
    await expectDelivered("channel_account.notified", facebook.id, account);
  }, 60_000);

  it("channel_account.updated (the account's breaker opens on a run of 5xx, then closes) and .disconnected", async () => {
    h.meta.faults.push({ match: FACEBOOK_FEED, ...meta503, times: 1_000 });
    const post = await schedulePost(h, "Breaker opens", [facebook.id], 0);
    const open = await readWhen("channel_account.updated", facebook.id, (o) => o.breakerState === "OPEN");
    await expectDelivered("channel_account.updated", facebook.id, open);
    h.meta.faults.length = 0;
    await expect.poll(async () => (await postState(h, post.id)).status, { timeout: 20_000, interval: 200 }).toBe("PUBLISHED");
    const closed = await readWhen("channel_account.updated", facebook.id, (o) => o.breakerState === "CLOSED");
    await expectDelivered("channel_account.updated", facebook.id, closed);

    await ok(h.t, `mutation($input: DisconnectChannelAccountInput!) { disconnectChannelAccount(input: $input) { channelAccount { id } } }`, { input: { id: facebook.id } });
    await expectDelivered("channel_account.disconnected", facebook.id, await read("channel_account.disconnected", facebook.id));
  }, 60_000);

  it("channel_account.data_deleted (Meta's data deletion request for the person who connected it, through the worker)", async () => {
    const instagram = await connectAccount(h, "INSTAGRAM", h.meta.igUser.id);
    const res = await h.meta.requestDataDeletion(`${h.api}/integrations/instagram/data-deletion`, h.meta.igUser.id, "instagram");
    expect(res.status).toBe(200);
    const account = await readWhen("channel_account.data_deleted", instagram.id, (o) => o.status === "DISCONNECTED");
    expect(account.lastError).toContain((await res.json()).confirmation_code);
    await expectDelivered("channel_account.data_deleted", instagram.id, account);
  }, 60_000);

  it("every marketing event type of the catalog has a case above", () => {
    const ofMarketing = [...catalog.values()].filter((e) => MARKETING_ENTITY_TYPES.includes(e.entityType ?? "")).map((e) => e.name).sort();
    expect(ofMarketing.length).toBeGreaterThanOrEqual(12);
    expect([...covered].sort()).toEqual(ofMarketing);
  });
});
