import type { Plugin } from "graphql-yoga";
import type { Registry } from "prom-client";

/**
 * Serves the process's Prometheus metrics at `endpoint`, as yoga's own health and readiness checks serve theirs:
 * answered in onRequest, before any GraphQL work (no context, no parsing).
 */
export function useMetricsEndpoint(registry: Registry, endpoint = "/metrics"): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint) return;
      return registry.metrics().then((text) => endResponse(new fetchAPI.Response(text, { status: 200, headers: { "content-type": registry.contentType } })));
    },
  };
}
