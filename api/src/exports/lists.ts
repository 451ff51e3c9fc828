import { parse, type DocumentNode } from "graphql";
import { MAX_PAGE_SIZE } from "../schema/plugins/connection-rules.ts";

/**
 * A list that downloads as CSV: the GraphQL connection field it pages through, the types of its `filter` and
 * `orderBy` arguments (the export takes exactly the list's own), and its columns, each a path of fields of the
 * list's node (`builder.name`), which is also the column's header. The query's selection is derived from the paths.
 */
interface ExportList {
  field: string;
  filterType: string;
  orderType?: string;
  columns: readonly string[];
}

const timestamps = ["archivedAt", "createdAt", "updatedAt"] as const;
const address = ["addressLine1", "city", "state", "postalCode"] as const;

export const exportLists = {
  jobs: {
    field: "jobs",
    filterType: "JobFilter",
    orderType: "JobOrder",
    columns: ["id", "builder.id", "builder.name", "community", "lot", ...address, "plan", "status", "scheduledDate", "assignedCrew", "amountCents", "notes", "completedAt", ...timestamps],
  },
  bids: {
    field: "bids",
    filterType: "BidFilter",
    orderType: "BidOrder",
    columns: ["id", "builder.id", "builder.name", "project", "plans", "status", "amountCents", "dueDate", "estimator", "notes", "submittedAt", "decidedAt", ...timestamps],
  },
  "service-calls": {
    field: "serviceCalls",
    filterType: "ServiceCallFilter",
    orderType: "ServiceCallOrder",
    columns: ["id", "customerName", "customerPhone", "customerEmail", ...address, "problem", "priority", "status", "windowStart", "windowEnd", "assignedTechnician", "resolutionNotes", "completedAt", "invoicedAt", ...timestamps],
  },
  builders: {
    field: "builders",
    filterType: "BuilderFilter",
    orderType: "BuilderOrder",
    columns: ["id", "name", "contactName", "phone", "email", ...address, "active", "notes", ...timestamps],
  },
  "audit-events": {
    field: "auditEvents",
    filterType: "AuditEventFilter",
    columns: ["id", "changedAt", "actor.kind", "actor.id", "actor.label", "actor.onBehalfOf", "action", "eventType", "entityType", "entityId", "entityNodeId", "changedFields", "requestId", "ip", "userAgent", "before", "after"],
  },
} as const satisfies Record<string, ExportList>;

export type ExportName = keyof typeof exportLists;
export const isExportName = (name: string): name is ExportName => Object.hasOwn(exportLists, name);

/** Rows per page read from the list: its connection's largest page. */
export const EXPORT_PAGE_SIZE = MAX_PAGE_SIZE;

/** `["id", "builder.id", "builder.name"]` → `id builder { id name }`. */
export function selectionOf(paths: readonly string[]): string {
  const tree = new Map<string, string[]>();
  for (const path of paths) {
    const [head, ...rest] = path.split(".");
    const children = tree.get(head!) ?? [];
    if (rest.length) children.push(rest.join("."));
    tree.set(head!, children);
  }
  return [...tree].map(([name, children]) => (children.length ? `${name} { ${selectionOf(children)} }` : name)).join(" ");
}

const documents = new Map<ExportName, DocumentNode>();

/** The query that reads one page of the list: `page` is the connection, `$after` its cursor. */
export function exportDocument(name: ExportName): DocumentNode {
  let document = documents.get(name);
  if (!document) {
    const list: ExportList = exportLists[name];
    const order = list.orderType ? `, $orderBy: ${list.orderType}` : "";
    document = parse(`query Export($first: Int!, $after: String, $filter: ${list.filterType}${order}) {
      page: ${list.field}(first: $first, after: $after, filter: $filter${list.orderType ? ", orderBy: $orderBy" : ""}) {
        pageInfo { hasNextPage endCursor }
        edges { node { ${selectionOf(list.columns)} } }
      }
    }`);
    documents.set(name, document);
  }
  return document;
}

/**
 * A node's value at a column's path, as a CSV cell: lists joined with "; ", null as an empty cell. A text cell a
 * spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage return, and is not a number)
 * gets a leading apostrophe (OWASP's "CSV injection" advice).
 */
export function cellOf(node: unknown, path: string): string | number | boolean | null {
  let value: unknown = node;
  for (const key of path.split(".")) value = value == null ? null : (value as Record<string, unknown>)[key];
  if (value instanceof Date) value = value.toISOString(); // as in a GraphQL response (DateTime)
  if (Array.isArray(value)) value = value.join("; ");
  if (typeof value === "string" && FORMULA.test(value) && !NUMBER.test(value)) return `'${value}`;
  return (value ?? null) as string | number | boolean | null;
}

const FORMULA = /^[=+\-@\t\r]/;
const NUMBER = /^[+-]?\d[\d.]*$/;
