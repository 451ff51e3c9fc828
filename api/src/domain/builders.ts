import { badInput } from "../errors.ts";
import type { TenantTx } from "../events/pipeline.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The builder a job or bid points at: it must exist and not be archived (BAD_USER_INPUT at `input.builderId`). */
export async function activeBuilderId(tx: TenantTx, globalId: { id: string }): Promise<string> {
  const field = ["input", "builderId"];
  if (!UUID.test(globalId.id)) throw badInput("is not a valid id", field);
  const found = await tx.builder.findUnique({ where: { id: globalId.id }, select: { archivedAt: true } });
  if (!found || found.archivedAt) throw badInput("no such builder (or it is archived)", field);
  return globalId.id;
}
