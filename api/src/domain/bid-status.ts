import type { BidStatus } from "../generated/prisma/enums.ts";
import { defineStateMachine } from "./state-machine.ts";

/** draft → submitted → won | lost | expired; an expired bid may be reopened as a draft; won and lost are final. */
export const bidStatus = defineStateMachine<BidStatus>("bid", {
  draft: ["submitted"],
  submitted: ["won", "lost", "expired"],
  won: [],
  lost: [],
  expired: ["draft"],
});
