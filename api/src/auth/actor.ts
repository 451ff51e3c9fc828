import type { Context } from "../context.ts";
import type { EventActor } from "../events/domain-event.ts";

/** The actor of a change, as the audit log, events and webhooks record it. */
export function actorOf(ctx: Pick<Context, "principal">): EventActor {
  const p = ctx.principal;
  if (!p) return { kind: "system", id: null, label: "anonymous" };
  switch (p.kind) {
    case "user":
      return { kind: "user", id: p.userId, label: p.email };
    case "api_key":
      return { kind: "api_key", id: p.apiKeyId, label: `${p.name} (${p.prefix})` };
    case "system":
      return { kind: "system", id: null, label: p.name };
  }
}
