import { describe, expect, it } from "vitest";
import { assertAddressAllowed, checkWebhookUrl, parseWebhookUrl, WebhookUrlRejectedError, type Resolver, type UrlPolicy } from "./ssrf.ts";
import { configFrom } from "../../test/webhooks/helpers.ts";

const strict: UrlPolicy = { allowHttp: false, allowLoopback: false };
const dev: UrlPolicy = { allowHttp: true, allowLoopback: true };
const answers = (map: Record<string, string[]>): Resolver => async (host) => {
  const list = map[host];
  if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  return list.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
};
const reason = (fn: () => unknown) => {
  try {
    fn();
    return "allowed";
  } catch (err) {
    if (err instanceof WebhookUrlRejectedError) return err.reason;
    throw err;
  }
};
const reasonAsync = async (p: Promise<unknown>) => {
  try {
    await p;
    return "allowed";
  } catch (err) {
    if (err instanceof WebhookUrlRejectedError) return err.reason;
    throw err;
  }
};

describe("addresses", () => {
  it("refuses private, loopback, link-local, CGNAT, unique-local, unspecified, multicast and reserved ranges", () => {
    const refused = [
      "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.254", "192.168.1.1", "127.0.0.1", "127.8.9.10", "::1",
      "169.254.1.1", "fe80::1", "fe80::1%eth0", "100.64.0.1", "100.127.255.254", "fc00::1", "fd12:3456::1", "0.0.0.0", "0.1.2.3", "::",
      "224.0.0.1", "239.255.255.250", "ff02::1", "255.255.255.255", "192.0.2.1", "198.18.0.1", "240.0.0.1",
      // IPv4 inside IPv6: mapped, NAT64, 6to4
      "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:10.0.0.1", "::ffff:192.168.0.1", "64:ff9b::a00:1", "2002:a00:1::1",
    ];
    for (const ip of refused) expect(reason(() => assertAddressAllowed(ip, strict)), ip).not.toBe("allowed");
  });

  it("names metadata services", () => {
    for (const ip of ["169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254", "::ffff:a9fe:a9fe", "100.100.100.200"])
      expect(reason(() => assertAddressAllowed(ip, dev)), ip).toBe("metadata");
  });

  it("allows public unicast addresses", () => {
    for (const ip of ["8.8.8.8", "93.184.216.34", "172.32.0.1", "100.128.0.1", "11.0.0.1", "2606:4700::1111", "2a00:1450:4001::200e"])
      expect(reason(() => assertAddressAllowed(ip, strict)), ip).toBe("allowed");
  });

  it("allows loopback only with the development allowance, and nothing else with it", () => {
    expect(reason(() => assertAddressAllowed("127.0.0.1", strict))).toBe("loopback");
    for (const ip of ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"]) expect(reason(() => assertAddressAllowed(ip, dev)), ip).toBe("allowed");
    for (const ip of ["10.0.0.1", "192.168.1.1", "169.254.1.1", "100.64.0.1", "fc00::1", "0.0.0.0"])
      expect(reason(() => assertAddressAllowed(ip, dev)), ip).toBe("non_public_address");
  });
});

describe("URLs", () => {
  it("requires https unless http is allowed", () => {
    expect(reason(() => parseWebhookUrl("http://93.184.216.34/hook", strict))).toBe("scheme");
    expect(reason(() => parseWebhookUrl("https://93.184.216.34/hook", strict))).toBe("allowed");
    expect(reason(() => parseWebhookUrl("http://93.184.216.34/hook", dev))).toBe("allowed");
    for (const url of ["ftp://93.184.216.34/", "file:///etc/passwd", "gopher://x/", "javascript:alert(1)"]) expect(reason(() => parseWebhookUrl(url, dev)), url).toBe("scheme");
    expect(reason(() => parseWebhookUrl("not a url", dev))).toBe("invalid_url");
  });

  it("checks IP literals in every spelling the URL parser accepts", () => {
    for (const url of ["https://127.0.0.1/", "https://2130706433/", "https://0x7f.1/", "https://0177.0.0.1/", "https://[::1]/", "https://[::ffff:127.0.0.1]/"])
      expect(reason(() => parseWebhookUrl(url, strict)), url).toBe("loopback");
    expect(reason(() => parseWebhookUrl("https://[::ffff:169.254.169.254]/", strict))).toBe("metadata");
    expect(reason(() => parseWebhookUrl("https://10.1.2.3:8443/x", strict))).toBe("non_public_address");
  });

  it("refuses a host if any of its addresses is refused", async () => {
    const resolve = answers({ "partner.example": ["93.184.216.34", "10.0.0.7"], "good.example": ["93.184.216.34", "2606:4700::1111"] });
    expect(await reasonAsync(checkWebhookUrl("https://partner.example/hook", { ...strict, resolve }))).toBe("non_public_address");
    await expect(checkWebhookUrl("https://good.example/hook", { ...strict, resolve })).resolves.toMatchObject({ addresses: ["93.184.216.34", "2606:4700::1111"] });
    expect(await reasonAsync(checkWebhookUrl("https://nowhere.example/", { ...strict, resolve }))).toBe("unresolvable");
    expect(await reasonAsync(checkWebhookUrl("https://metadata.example/", { ...strict, resolve: answers({ "metadata.example": ["169.254.169.254"] }) }))).toBe("metadata");
  });

  it("refuses a host name resolving to 127.0.0.1 (real DNS: localhost) unless allowed", async () => {
    expect(await reasonAsync(checkWebhookUrl("https://localhost/hook", strict))).toBe("loopback");
    expect(await reasonAsync(checkWebhookUrl("https://localhost./hook", strict))).toBe("loopback");
    await expect(checkWebhookUrl("http://localhost:9/hook", dev)).resolves.toBeTruthy();
  });

  it("is a BAD_USER_INPUT on the url field", async () => {
    const err = await checkWebhookUrl("https://localhost/", strict).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookUrlRejectedError);
    expect((err as WebhookUrlRejectedError).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: ["url"], reason: "WEBHOOK_URL_LOOPBACK" });
  });
});

describe("the policy from the environment", () => {
  const production = { NODE_ENV: "production", DATABASE_URL: "postgres://db/x" };

  it("is strict in production and allows http and loopback in development and test", () => {
    expect(configFrom(production).urlPolicy).toEqual({ allowHttp: false, allowLoopback: false });
    expect(configFrom({ NODE_ENV: "test" }).urlPolicy).toEqual({ allowHttp: true, allowLoopback: true });
    expect(configFrom({ NODE_ENV: "development" }).urlPolicy).toEqual({ allowHttp: true, allowLoopback: true });
  });

  it("follows explicit settings in any environment", () => {
    expect(configFrom({ ...production, WEBHOOK_ALLOW_HTTP: "true" }).urlPolicy).toEqual({ allowHttp: true, allowLoopback: false });
    expect(configFrom({ NODE_ENV: "test", WEBHOOK_ALLOW_LOOPBACK: "false", WEBHOOK_ALLOW_HTTP: "0" }).urlPolicy).toEqual({ allowHttp: false, allowLoopback: false });
    expect(() => configFrom({ WEBHOOK_ALLOW_HTTP: "yes" })).toThrow(/WEBHOOK_ALLOW_HTTP/);
  });

  it("in production refuses localhost and http URLs", async () => {
    const policy = configFrom(production).urlPolicy;
    expect(await reasonAsync(checkWebhookUrl("https://localhost/hook", policy))).toBe("loopback");
    expect(await reasonAsync(checkWebhookUrl("https://127.0.0.1/hook", policy))).toBe("loopback");
    expect(await reasonAsync(checkWebhookUrl("http://partner.example/hook", policy))).toBe("scheme");
  });
});
