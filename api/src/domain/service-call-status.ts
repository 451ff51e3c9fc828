import type { ServiceCallStatus } from "../generated/prisma/enums.ts";
import { defineStateMachine } from "./state-machine.ts";

/**
 * new → scheduled → dispatched → in_progress → completed → invoiced. A new call may be dispatched at once (an
 * emergency); a dispatched call may go back to scheduled; anything before in_progress may be cancelled.
 */
export const serviceCallStatus = defineStateMachine<ServiceCallStatus>("service call", {
  new: ["scheduled", "dispatched", "cancelled"],
  scheduled: ["dispatched", "cancelled"],
  dispatched: ["in_progress", "scheduled", "cancelled"],
  in_progress: ["completed"],
  completed: ["invoiced"],
  invoiced: [],
  cancelled: [],
});
