import { pipelineHooks } from "../../src/events/hooks.ts";
import type { TransactionalHook } from "../../src/events/pipeline.ts";

/**
 * The hook list of a test app (`startTestApp({}, { hooks: hooks.list })`): the pipeline's own, to which a test case
 * adds its own hooks after them (`add` returns the function that takes the hook out again).
 */
export function testHooks() {
  const list: TransactionalHook[] = [...pipelineHooks];
  return {
    list,
    add(hook: TransactionalHook): () => void {
      list.push(hook);
      return () => {
        const i = list.indexOf(hook);
        if (i >= 0) list.splice(i, 1);
      };
    },
  };
}
