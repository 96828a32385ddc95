import { createHash, randomUUID, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CA_PERMITTED, CERTIFICATE_DNS_NAMES } from "./real-hosts.js";

export interface TlsMaterial {
  caFile: string;
  cert: string;
  key: string;
}

const DAY = 86_400_000;

/**
 * The local CA is made once per folder and kept, so a user trusts it once (NODE_EXTRA_CA_CERTS,
 * REQUESTS_CA_BUNDLE). It can sign only for the names svcconn serves and loopback (X.509 name constraints), its key
 * is the owner's only, and svcconn never installs it in a trust store.
 */
export async function ensureCa(dir: string): Promise<{ caFile: string; certPem: string; keyPem: string }> {
  const folder = resolve(dir);
  const caFile = join(folder, "ca.crt");
  const keyFile = join(folder, "ca.key");
  // A CA made before svcconn served a name (Key Vault's) cannot sign for it: it is made again.
  const permitted = existsSync(caFile) ? await permittedBy(folder, readFileSync(caFile, "utf8")) : undefined;
  if (!existsSync(keyFile) || !permitted || !CA_PERMITTED.dnsNames.every((name) => permitted.includes(name))) {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const now = Date.now();
    const { issueCertificate } = await import("../core/x509.js");
    const ca = await issueCertificate({
      subject: "CN=svcconn local CA, O=svcconn",
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 10 * 365 * DAY),
      isCa: true,
      permitted: CA_PERMITTED,
      key: "ec",
    });
    writeFileSync(keyFile, ca.keyPem, { mode: 0o600 });
    writeFileSync(caFile, ca.certPem);
    rememberPermitted(folder, ca.certPem, CA_PERMITTED.dnsNames);
  }
  return { caFile, certPem: readFileSync(caFile, "utf8"), keyPem: readFileSync(keyFile, "utf8") };
}

/**
 * The DNS names a CA's name constraints permit, remembered beside it (`ca.permits`: the certificate's hash, then
 * the names) so that a start reads them without loading an ASN.1 library; read from the certificate when the file
 * is missing or names another certificate.
 */
async function permittedBy(folder: string, caPem: string): Promise<string[] | undefined> {
  const file = join(folder, "ca.permits");
  const hash = createHash("sha256").update(caPem).digest("hex");
  if (existsSync(file)) {
    const [remembered, ...names] = readFileSync(file, "utf8").split("\n").filter(Boolean);
    if (remembered === hash) return names;
  }
  const { permittedDnsNames } = await import("../core/x509.js");
  const names = permittedDnsNames(caPem);
  if (names) rememberPermitted(folder, caPem, names);
  return names;
}

function rememberPermitted(folder: string, caPem: string, names: readonly string[]): void {
  const hash = createHash("sha256").update(caPem).digest("hex");
  try {
    writeFileSync(join(folder, "ca.permits"), `${[hash, ...names].join("\n")}\n`, { mode: 0o600 });
  } catch {
    // A CA folder svcconn may not write (shared, read-only) is read again next time.
  }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\s*/;
const PEM_KEY = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----\s*/;

/**
 * The server certificate: the one kept beside the CA (`server.pem`, certificate and key in one owner-only file,
 * replaced atomically) while it has more than a month to run and was issued by this CA, else a new one — so a
 * restart needs no key generation.
 */
export async function serverTls(caDir: string, boundAddress?: string): Promise<TlsMaterial> {
  const ca = await ensureCa(caDir);
  // The address the listeners are bound to is named too, when the CA may sign for it (loopback).
  const ips = ["127.0.0.1", "::1", ...(boundAddress && isLoopbackIp(boundAddress) && !["127.0.0.1", "::1"].includes(boundAddress) ? [boundAddress] : [])];
  const file = join(resolve(caDir), "server.pem");
  if (existsSync(file)) {
    try {
      const pem = readFileSync(file, "utf8");
      const certPem = PEM_CERT.exec(pem)?.[0];
      const keyPem = PEM_KEY.exec(pem)?.[0];
      const cert = certPem && new X509Certificate(certPem);
      const names = cert ? cert.subjectAltName ?? "" : "";
      const current = CERTIFICATE_DNS_NAMES.every((name) => names.includes(`DNS:${name}`)) && ips.every((ip) => certificateNamesIp(names, ip));
      if (cert && keyPem && current && Date.parse(cert.validTo) - Date.now() > 30 * DAY && cert.checkIssued(new X509Certificate(ca.certPem))) {
        return { caFile: ca.caFile, cert: certPem + ca.certPem, key: keyPem };
      }
    } catch {
      // An unreadable file is replaced below.
    }
  }
  const now = Date.now();
  const { issueCertificate } = await import("../core/x509.js");
  const leaf = await issueCertificate({
    subject: "CN=localhost, O=svcconn",
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
    ips,
    dnsNames: CERTIFICATE_DNS_NAMES,
    issuer: { certPem: ca.certPem, keyPem: ca.keyPem },
    key: "ec",
  });
  try {
    const temporary = `${file}.${process.pid}.${randomUUID()}`;
    writeFileSync(temporary, `${leaf.certPem.trim()}\n${leaf.keyPem.trim()}\n`, { mode: 0o600 });
    renameSync(temporary, file);
  } catch {
    // A CA folder that cannot be written just means a new certificate next time.
  }
  return { caFile: ca.caFile, cert: leaf.certPem + ca.certPem, key: leaf.keyPem };
}

function isLoopbackIp(address: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === "::1";
}

/** Node writes IPv6 addresses in a certificate's subjectAltName in full form (`IP Address:0:0:0:0:0:0:0:1`). */
function certificateNamesIp(names: string, ip: string): boolean {
  return names.includes(`IP Address:${ip}`) || (ip === "::1" && names.includes("IP Address:0:0:0:0:0:0:0:1"));
}
