import { AppError, ErrorCode } from "../errors.ts";

/** A status machine: the statuses each status may move to next. Terminal statuses map to `[]`. */
export interface StateMachine<S extends string> {
  readonly entity: string;
  readonly transitions: Readonly<Record<S, readonly S[]>>;
  /** The statuses `from` may move to. */
  next(from: S): readonly S[];
  /**
   * Throws BAD_USER_INPUT (field `input.status`) when `from → to` is not a transition; the error names the allowed
   * next statuses as GraphQL enum values, in the message and in `extensions.allowed`.
   */
  assert(from: S, to: S, field?: string[]): void;
}

/** GraphQL enum values are the database values upper-cased (`rough_in` → `ROUGH_IN`). */
export const graphqlEnumValue = (value: string) => value.toUpperCase();

export function defineStateMachine<S extends string>(entity: string, transitions: Record<S, readonly S[]>): StateMachine<S> {
  return {
    entity,
    transitions,
    next: (from) => transitions[from] ?? [],
    assert(from, to, field = ["input", "status"]) {
      const allowed = transitions[from] ?? [];
      if (allowed.includes(to)) return;
      const names = allowed.map(graphqlEnumValue);
      throw new AppError(
        ErrorCode.BAD_USER_INPUT,
        `a ${entity} cannot move from ${graphqlEnumValue(from)} to ${graphqlEnumValue(to)}; allowed next: ${names.length ? names.join(", ") : "none (final status)"}`,
        { field, details: { current: graphqlEnumValue(from), allowed: names } },
      );
    },
  };
}
