import { BidStatus } from "../../generated/prisma/enums.ts";
import { describedEnum } from "../common.ts";

export const BidStatusEnum = describedEnum("BidStatus", "Where a bid is in its pipeline.", BidStatus, {
  draft: "Being prepared.",
  submitted: "Sent to the builder, awaiting a decision.",
  won: "Accepted by the builder (final status).",
  lost: "Awarded to someone else (final status).",
  expired: "No decision before it lapsed; may be reopened as a draft.",
});
