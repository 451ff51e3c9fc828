import { currentSettings, withSettings, type SessionSettings } from "./session-settings.ts";
import { currentPin, withPin } from "./settings-pool.ts";

const SETTINGS = Symbol("session settings");
const PIN = Symbol("pinned transaction");

interface PrismaRequest {
  transaction?: unknown;
  [SETTINGS]?: SessionSettings;
  [PIN]?: { readonly key: string };
}

interface RequestLoader {
  batchBy(request: PrismaRequest): string | undefined;
  singleLoader(request: PrismaRequest): Promise<unknown>;
  batchLoader(requests: PrismaRequest[]): Promise<unknown>;
}

/**
 * Keeps each Prisma operation's session settings (db/session-settings.ts) through Prisma's own batching.
 *
 * Prisma (7.10) collects the operations started in one tick and dispatches them from one `process.nextTick`:
 * `findUnique`s of the same shape become ONE statement, and every operation of that tick is sent in the async context
 * of the first one. Left alone, a request's query could run with the settings of another request (or of the
 * system) that happened to start first. This records the settings of each operation when it is started, batches
 * together only operations with equal settings, and sends each batch with its own settings. A batch transaction
 * (`$transaction([...])`) whose operations were started with different settings is refused. The same for the
 * pinned transaction an operation was started in (db/settings-pool.ts `pinnedTransaction`): operations of one
 * transaction batch together, never with others', and each batch runs in its own.
 *
 * It reaches into Prisma's request handler (`_requestHandler.dataloader.options`), which is internal: the
 * versions are pinned together (RECIPES.md), and this throws at start-up if the shape is not the one it knows
 * (test/tenant-context.test.ts proves the behaviour).
 */
export function keepSettingsThroughBatching(client: object): void {
  const options = (client as { _requestHandler?: { dataloader?: { options?: Partial<RequestLoader> } } })._requestHandler?.dataloader?.options;
  if (!options || typeof options.batchBy !== "function" || typeof options.singleLoader !== "function" || typeof options.batchLoader !== "function")
    throw new Error("Prisma's request batching is not the one db/prisma-batching.ts knows: check it before upgrading Prisma");
  const { batchBy, singleLoader, batchLoader } = options as RequestLoader;
  options.batchBy = (request) => {
    const settings = currentSettings();
    request[SETTINGS] = settings;
    request[PIN] = currentPin();
    const key = batchBy(request);
    return key === undefined || request.transaction ? key : `${settings.key}${request[PIN] ? `|${request[PIN].key}` : ""}|${key}`;
  };
  options.singleLoader = (request) => withPin(request[PIN], () => withSettings(request[SETTINGS] ?? currentSettings(), () => singleLoader(request)));
  options.batchLoader = (requests) => {
    const settings = requests[0]![SETTINGS]!;
    const pin = requests[0]![PIN];
    if (requests.some((r) => r[SETTINGS]!.key !== settings.key || r[PIN] !== pin))
      return Promise.reject(new Error("one batch transaction started with several database settings (tenant, system) or in several transactions"));
    return withPin(pin, () => withSettings(settings, () => batchLoader(requests)));
  };
}
