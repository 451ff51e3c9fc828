import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "../../src/jobs/runner.ts";
import { createLogger } from "../../src/logger.ts";
import { detailedCatalog, type DetailedCatalogEntry } from "../../src/webhooks/catalog-schemas.ts";
import { ok } from "../support/domain.ts";
import { webhookReceivers, type ReceivedRequest, type WebhookReceiver } from "../support/webhook-receiver.ts";
import { connectAccount, postState, schedulePost, startMarketing, type MarketingHarness } from "../marketing/helpers.ts";
import { createEndpoint } from "./flow.ts";
import { verifyWithBoth } from "./helpers.ts";

type Json = Record<string, any>;

/**
 * vocabulary.test.ts for the marketing module's event types: the change through GraphQL (and, for publishing, the
 * worker against the Meta stand-in), `node(id:)` read with the catalog's selection right after it, the delivery on a
 * real endpoint verified with svix and standardwebhooks, validated against the published JSON Schema (ajv), and its
 * `data.object` compared with what was read.
 */
describe("marketing webhook payloads speak the API's vocabulary", () => {
  let h: MarketingHarness;
  let worker: WorkerHandle;
  let receiver: WebhookReceiver;
  let secret: string;
  let catalog: Map<string, DetailedCatalogEntry>;
  const validators = new Map<string, ValidateFunction>();
  const receivers = webhookReceivers();
  const covered = new Set<string>();

  beforeAll(async () => {
    h = await startMarketing();
    worker = await startWorker(h.t.env, h.t.db.url, createLogger("silent"), 4);
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    catalog = new Map((await detailedCatalog()).map((e) => [e.name, e]));
    for (const e of catalog.values()) validators.set(e.name, ajv.compile(e.schema));
    receiver = await receivers.start();
    secret = (await createEndpoint(h.t, { url: receiver.url("/marketing"), filterTypes: ["marketing_post.*", "channel_account.*"] })).secret;
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

  /** Waits for the delivery of `type` about entity `id`, checks it, and compares its object with `expected`. */
  async function expectDelivered(type: string, id: string, expected: Json): Promise<void> {
    const about = (r: ReceivedRequest) => {
      const body = JSON.parse(r.body);
      return body.type === type && body.data.object?.id === id;
    };
    await expect.poll(() => receiver.requests.filter(about).length, { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(1);
    const req = receiver.requests.filter(about).at(-1)!;
    const body = verifyWithBoth(req, secret) as Json;
    const validate = validators.get(type)!;
    expect(validate(body), `${type}: ${JSON.stringify(validate.errors)}`).toBe(true);
    expect(body.version).toBe(2);
    expect(body.data.object, type).toEqual(expected);
    covered.add(type);
  }

  it("channel_account.connected / .disconnected, marketing_post.created / .updated / .cancelled / .published", async () => {
    const account = await connectAccount(h, "FACEBOOK", "1111");
    await expectDelivered("channel_account.connected", account.id, await read("channel_account.connected", account.id));

    const later = await schedulePost(h, "Open house on Saturday", [account.id], 3_600_000);
    await expectDelivered("marketing_post.created", later.id, await read("marketing_post.created", later.id));
    const updated = await ok(h.t, `mutation($input: UpdateMarketingPostInput!) { updateMarketingPost(input: $input) { marketingPost { id version } } }`, {
      input: { id: later.id, expectedVersion: later.version, text: "Open house on Sunday" },
    });
    await expectDelivered("marketing_post.updated", later.id, await read("marketing_post.updated", later.id));
    await ok(h.t, `mutation($input: CancelMarketingPostInput!) { cancelMarketingPost(input: $input) { marketingPost { id } } }`, {
      input: { id: later.id, expectedVersion: updated.updateMarketingPost.marketingPost.version },
    });
    await expectDelivered("marketing_post.cancelled", later.id, await read("marketing_post.cancelled", later.id));

    const now = await schedulePost(h, "We are hiring plumbers", [account.id], 0);
    await expect.poll(async () => (await postState(h, now.id)).status, { timeout: 20_000, interval: 200 }).toBe("PUBLISHED");
    await expectDelivered("marketing_post.published", now.id, await read("marketing_post.published", now.id));

    await ok(h.t, `mutation($input: DisconnectChannelAccountInput!) { disconnectChannelAccount(input: $input) { channelAccount { id } } }`, { input: { id: account.id } });
    await expectDelivered("channel_account.disconnected", account.id, await read("channel_account.disconnected", account.id));

    expect([...covered].sort()).toEqual(
      ["channel_account.connected", "channel_account.disconnected", "marketing_post.cancelled", "marketing_post.created", "marketing_post.published", "marketing_post.updated"].sort(),
    );
  }, 90_000);
});
