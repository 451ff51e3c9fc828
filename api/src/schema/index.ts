import { builder } from "./builder.ts";
import "./system.ts";
import "./identity/session.ts";
import "./identity/members.ts";
import "./identity/api-keys.ts";
import "./tenant.ts";
import "./builders.ts";
import "./jobs/types.ts";
import "./jobs/mutations.ts";
import "./bids/types.ts";
import "./bids/mutations.ts";
import "./service-calls/types.ts";
import "./service-calls/mutations.ts";
import "./webhooks/types.ts";
import "./webhooks/mutations.ts";
import "./audit.ts";
import "./subscriptions.ts";

export const schema = builder.toSchema({ sortSchema: false });
