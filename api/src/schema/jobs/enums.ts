import { JobStatus } from "../../generated/prisma/enums.ts";
import { describedEnum } from "../common.ts";

export const JobStatusEnum = describedEnum("JobStatus", "The construction phase or state of a job.", JobStatus, {
  scheduled: "Scheduled, no work started.",
  underground: "Underground plumbing, before the slab is poured.",
  rough_in: "Rough-in: supply and drain lines inside the framing.",
  top_out: "Top-out: vents and stub-outs, before insulation and drywall.",
  trim: "Trim: fixtures set.",
  final: "Final inspection and punch list.",
  complete: "Done (final status).",
  on_hold: "Paused; resumes at any active phase.",
  cancelled: "Cancelled (final status).",
});
