import apiPackage from "../../package.json" with { type: "json" };
import { builder } from "./builder.ts";

const ServerInfo = builder
  .objectRef<{ version: string; time: Date }>("ServerInfo")
  .implement({
    description: "Facts about the API server answering this request.",
    fields: (t) => ({
      version: t.exposeString("version", { description: "The API's release version." }),
      time: t.expose("time", { type: "DateTime", description: "The server's current time." }),
    }),
  });

builder.queryField("serverInfo", (t) =>
  t.field({
    type: ServerInfo,
    description: "The API's version and clock; answers without touching the database.",
    authScopes: { public: true },
    resolve: () => ({ version: apiPackage.version, time: new Date() }),
  }),
);
