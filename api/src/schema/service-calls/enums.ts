import { ServiceCallPriority, ServiceCallStatus } from "../../generated/prisma/enums.ts";
import { describedEnum } from "../common.ts";

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
