import type { JobStatus } from "../generated/prisma/enums.ts";
import { defineStateMachine } from "./state-machine.ts";

const active = ["scheduled", "underground", "rough_in", "top_out", "trim", "final"] as const;

/**
 * New-construction phases in order; any active phase may be put on hold or cancelled, a held job resumes at any
 * active phase, and complete/cancelled are final.
 */
export const jobStatus = defineStateMachine<JobStatus>("job", {
  scheduled: ["underground", "on_hold", "cancelled"],
  underground: ["rough_in", "on_hold", "cancelled"],
  rough_in: ["top_out", "on_hold", "cancelled"],
  top_out: ["trim", "on_hold", "cancelled"],
  trim: ["final", "on_hold", "cancelled"],
  final: ["complete", "on_hold", "cancelled"],
  complete: [],
  on_hold: [...active, "cancelled"],
  cancelled: [],
});
