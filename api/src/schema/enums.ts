import { BidStatus, JobStatus, ServiceCallPriority, ServiceCallStatus, TenantStatus } from "../generated/prisma/enums.ts";
import { builder } from "./builder.ts";

/** The domain's enums: GraphQL values are the database values upper-cased, each described. */
function describedEnum<V extends string>(name: string, description: string, values: Record<V, V>, descriptions: Record<V, string>) {
  return builder.enumType(name, {
    description,
    values: Object.fromEntries(
      (Object.values(values) as V[]).map((v) => [v.toUpperCase(), { value: v, description: descriptions[v] }]),
    ) as Record<Uppercase<V>, { value: V; description: string }>,
  });
}

export const TenantStatusEnum = describedEnum("TenantStatus", "Whether a tenant may use the platform.", TenantStatus, {
  active: "In use.",
  suspended: "Suspended: its users and keys are refused.",
});

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

export const BidStatusEnum = describedEnum("BidStatus", "Where a bid is in its pipeline.", BidStatus, {
  draft: "Being prepared.",
  submitted: "Sent to the builder, awaiting a decision.",
  won: "Accepted by the builder (final status).",
  lost: "Awarded to someone else (final status).",
  expired: "No decision before it lapsed; may be reopened as a draft.",
});

export const ServiceCallStatusEnum = describedEnum("ServiceCallStatus", "Where a service call is in its lifecycle.", ServiceCallStatus, {
  new: "Taken, not yet scheduled.",
  scheduled: "An arrival window is booked.",
  dispatched: "A technician is on the way.",
  in_progress: "The technician is on site.",
  completed: "Work finished, not yet invoiced.",
  invoiced: "Invoiced (final status).",
  cancelled: "Cancelled (final status).",
});

export const ServiceCallPriorityEnum = describedEnum("ServiceCallPriority", "How fast a service call needs a technician.", ServiceCallPriority, {
  emergency: "Now: active leak, no water, sewage backup.",
  urgent: "Today or tomorrow.",
  routine: "At the next convenient window.",
});
