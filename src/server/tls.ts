import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { issueCertificate } from "../core/x509.js";

export interface TlsMaterial {
  caFile: string;
  cert: string;
  key: string;
}

const DAY = 86_400_000;

/**
 * The local CA is made once per folder and kept, so a user trusts it once (NODE_EXTRA_CA_CERTS,
 * REQUESTS_CA_BUNDLE). The server certificate is issued fresh at each start for 127.0.0.1, ::1 and localhost.
 */
export async function ensureCa(dir: string): Promise<{ caFile: string; certPem: string; keyPem: string }> {
  const folder = resolve(dir);
  const caFile = join(folder, "ca.crt");
  const keyFile = join(folder, "ca.key");
  if (!existsSync(caFile) || !existsSync(keyFile)) {
    mkdirSync(folder, { recursive: true });
    const now = Date.now();
    const ca = await issueCertificate({
      subject: "CN=svcconn local CA, O=svcconn",
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 10 * 365 * DAY),
      isCa: true,
    });
    writeFileSync(keyFile, ca.keyPem, { mode: 0o600 });
    writeFileSync(caFile, ca.certPem);
  }
  return { caFile, certPem: readFileSync(caFile, "utf8"), keyPem: readFileSync(keyFile, "utf8") };
}

export async function serverTls(caDir: string): Promise<TlsMaterial> {
  const ca = await ensureCa(caDir);
  const now = Date.now();
  const leaf = await issueCertificate({
    subject: "CN=localhost, O=svcconn",
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
    ips: ["127.0.0.1", "::1"],
    dnsNames: ["localhost"],
    issuer: { certPem: ca.certPem, keyPem: ca.keyPem },
  });
  return { caFile: ca.caFile, cert: leaf.certPem + ca.certPem, key: leaf.keyPem };
}
