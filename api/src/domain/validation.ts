import { z } from "zod";

/** Input rules shared by every domain; the GraphQL inputs attach them with plugin-zod's `validate: { schema }`. */
export const text = (max: number) => z.string().trim().min(1, "must not be blank").max(max, `must be at most ${max} characters`);
export const longText = text(5_000);

const e164 = /^\+[1-9]\d{7,14}$/;
const usTen = /^\(?([2-9]\d{2})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})$/;

/** A phone number: E.164 (`+15555550123`) or a 10-digit US number, optionally formatted (`(555) 555-0123`). */
export const phone = z
  .string()
  .trim()
  .refine((v) => e164.test(v) || usTen.test(v.replace(/^\+?1[\s.-]?(?=\(?\d{3})/, "")), "must be an E.164 number (+15555550123) or 10 US digits");

/** The phone number as stored: E.164. */
export function toE164(value: string): string {
  const v = value.trim();
  if (e164.test(v)) return v;
  const m = usTen.exec(v.replace(/^\+?1[\s.-]?(?=\(?\d{3})/, ""));
  if (!m) throw new Error(`not a phone number: ${value}`);
  return `+1${m[1]}${m[2]}${m[3]}`;
}

export const email = z.string().trim().max(254, "must be at most 254 characters").pipe(z.email("must be an email address"));

/** Money as integer cents: whole, non-negative, below 2^31. */
export const cents = z.number().int("must be whole cents").min(0, "must not be negative").max(2_000_000_000, "is too large");

export const usState = z.string().trim().regex(/^[A-Za-z]{2}$/, "must be a 2-letter state code");
export const postalCode = z.string().trim().regex(/^\d{5}(-\d{4})?$/, "must be a ZIP code (12345 or 12345-6789)");
export const version = z.number().int().min(1, "must be a version the server returned (1 or more)");
