import { z } from "zod";
import { badInput } from "../errors.ts";
import { cents, text } from "./validation.ts";

/** A bid's priced line: stored in the bid's `lineItems` JSON, owned and versioned with the bid. */
export const lineItem = z.object({
  description: text(200),
  quantity: z.number().int("must be whole").min(1, "must be at least 1").max(100_000, "is too large"),
  unitPriceCents: cents,
});
export type LineItem = z.infer<typeof lineItem>;
export const lineItems = z.array(lineItem).max(200, "at most 200 line items");

/** The stored line items (validated on write, so parsing only guards against hand-edited rows). */
export const lineItemsOf = (value: unknown): LineItem[] => lineItems.catch([]).parse(value);

/**
 * The bid amount: the sum of the line items when there are any (a different `amountCents` sent with them is
 * BAD_USER_INPUT), otherwise the amount sent (or kept).
 */
export function bidAmount(items: LineItem[], sentAmount: number | null | undefined, currentAmount = 0): number {
  if (!items.length) return sentAmount ?? currentAmount;
  const total = items.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
  if (total > 2_000_000_000) throw badInput("the line items add up to more than the largest amount", ["input", "lineItems"]);
  if (sentAmount != null && sentAmount !== total)
    throw badInput(`must equal the sum of the line items (${total}) or be omitted`, ["input", "amountCents"], { expected: total });
  return total;
}
