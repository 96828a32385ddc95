import { createHash, X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { issueCertificate, permittedDnsNames } from "../../src/core/x509.js";
import { CA_PERMITTED } from "../../src/server/real-hosts.js";
import { ensureCa, serverTls } from "../../src/server/tls.js";

const certificates = (chain: string) => chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("the local CA", () => {
  it("remembers the names it permits beside it (ca.permits), so a start reads them without parsing the certificate", async () => {
    const dir = mkdtempSync(join(tmpdir(), "svcconn-ca-"));
    const made = await ensureCa(dir);
    expect(permittedDnsNames(made.certPem)).toEqual(CA_PERMITTED.dnsNames);
    expect(readFileSync(join(dir, "ca.permits"), "utf8")).toBe(`${[sha256(made.certPem), ...CA_PERMITTED.dnsNames].join("\n")}\n`);
    expect((await ensureCa(dir)).certPem).toBe(made.certPem);

    // A file that names another certificate is not believed: the names are read from the CA again.
    writeFileSync(join(dir, "ca.permits"), `${sha256("another")}\n`);
    expect((await ensureCa(dir)).certPem).toBe(made.certPem);
    expect(readFileSync(join(dir, "ca.permits"), "utf8").split("\n")[0]).toBe(sha256(made.certPem));

    // A CA made before svcconn served a name cannot sign for it: it is made again.
    writeFileSync(join(dir, "ca.permits"), `${sha256(made.certPem)}\nlocalhost\n`);
    const remade = await ensureCa(dir);
    expect(remade.certPem).not.toBe(made.certPem);
    expect(permittedDnsNames(remade.certPem)).toEqual(CA_PERMITTED.dnsNames);
  });

  it("makes EC P-256 keys, and a CA made earlier with RSA goes on signing server certificates with RSA", async () => {
    const fresh = await serverTls(mkdtempSync(join(tmpdir(), "svcconn-ca-")));
    const [leafPem, caPem] = certificates(fresh.cert);
    expect(new X509Certificate(leafPem!).publicKey.asymmetricKeyType).toBe("ec");
    expect(new X509Certificate(caPem!).publicKey.asymmetricKeyType).toBe("ec");
    expect(new X509Certificate(leafPem!).verify(new X509Certificate(caPem!).publicKey)).toBe(true);

    const dir = mkdtempSync(join(tmpdir(), "svcconn-ca-"));
    const now = Date.now();
    const rsaCa = await issueCertificate({ subject: "CN=svcconn local CA, O=svcconn", notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 86_400_000 * 365), isCa: true, permitted: CA_PERMITTED });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "ca.crt"), rsaCa.certPem);
    writeFileSync(join(dir, "ca.key"), rsaCa.keyPem, { mode: 0o600 });
    const signed = await serverTls(dir);
    expect(readFileSync(join(dir, "ca.crt"), "utf8")).toBe(rsaCa.certPem);
    const leaf = new X509Certificate(certificates(signed.cert)[0]!);
    expect(leaf.publicKey.asymmetricKeyType).toBe("ec");
    expect(leaf.verify(new X509Certificate(rsaCa.certPem).publicKey)).toBe(true);
  });
});
