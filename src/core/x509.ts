import { webcrypto, createPrivateKey, X509Certificate as NodeX509 } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { GeneralName, GeneralSubtree, GeneralSubtrees, id_ce_nameConstraints, NameConstraints } from "@peculiar/asn1-x509";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const RSA: RsaHashedKeyGenParams = { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };

export interface IssuedCertificate {
  /** PEM of the certificate. */
  certPem: string;
  /** PKCS#8 PEM of the private key. */
  keyPem: string;
  /** Base64 DER of the certificate. */
  derBase64: string;
}

export interface CertificateRequest {
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** Subject alternative names: IP addresses and DNS names. */
  ips?: string[];
  dnsNames?: string[];
  isCa?: boolean;
  /**
   * For a CA: the only names it may sign for (X.509 name constraints, critical): DNS names (each with its
   * subdomains) and IP ranges in CIDR form. Certificates it issues for anything else fail verification.
   */
  permitted?: { dnsNames: string[]; ipRanges: string[] };
  /** Signs with this CA; self-signed when absent. */
  issuer?: { certPem: string; keyPem: string };
}

/** Creates an RSA-2048 key and an X.509 certificate for it (a CA, a TLS server, a token-signing or client cert). */
export async function issueCertificate(request: CertificateRequest): Promise<IssuedCertificate> {
  const keys = (await webcrypto.subtle.generateKey(RSA, true, ["sign", "verify"])) as CryptoKeyPair;
  const extensions: x509.Extension[] = [];
  if (request.isCa) {
    extensions.push(new x509.BasicConstraintsExtension(true, 0, true));
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true));
    if (request.permitted) extensions.push(nameConstraints(request.permitted));
  } else {
    extensions.push(new x509.BasicConstraintsExtension(false, undefined, true));
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true));
  }
  const names: x509.JsonGeneralNames = [
    ...(request.ips ?? []).map((value) => ({ type: "ip" as const, value })),
    ...(request.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
  ];
  if (names.length) {
    extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false));
  }
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  const serialNumber = Buffer.from(webcrypto.getRandomValues(new Uint8Array(12))).toString("hex").replace(/^[89a-f]/, "1");
  let cert: x509.X509Certificate;
  if (request.issuer) {
    const issuerCert = new x509.X509Certificate(request.issuer.certPem);
    const issuerKey = await importPkcs8(request.issuer.keyPem);
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuerCert, false));
    cert = await x509.X509CertificateGenerator.create({
      serialNumber,
      subject: request.subject,
      issuer: issuerCert.subject,
      notBefore: request.notBefore,
      notAfter: request.notAfter,
      signingKey: issuerKey,
      publicKey: keys.publicKey,
      signingAlgorithm: RSA,
      extensions,
    });
  } else {
    cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber,
      name: request.subject,
      notBefore: request.notBefore,
      notAfter: request.notAfter,
      keys,
      signingAlgorithm: RSA,
      extensions,
    });
  }
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const der = Buffer.from(cert.rawData);
  const certPem = cert.toString("pem");
  return { certPem: certPem.endsWith("\n") ? certPem : `${certPem}\n`, keyPem: toPem(pkcs8, "PRIVATE KEY"), derBase64: der.toString("base64") };
}

/** Whether a certificate (PEM) carries X.509 name constraints. */
export function hasNameConstraints(certPem: string): boolean {
  return permittedDnsNames(certPem) !== undefined;
}

/** The DNS names a CA's name constraints permit; undefined when it has none (or cannot be read). */
export function permittedDnsNames(certPem: string): string[] | undefined {
  try {
    const extension = new x509.X509Certificate(certPem).getExtension(id_ce_nameConstraints);
    if (!extension) return undefined;
    const constraints = AsnConvert.parse(extension.value, NameConstraints);
    return (constraints.permittedSubtrees ?? []).map((s) => s.base.dNSName).filter((n): n is string => typeof n === "string");
  } catch {
    return undefined;
  }
}

function nameConstraints(permitted: { dnsNames: string[]; ipRanges: string[] }): x509.Extension {
  const subtrees = [
    ...permitted.dnsNames.map((dNSName) => new GeneralSubtree({ base: new GeneralName({ dNSName }) })),
    ...permitted.ipRanges.map((iPAddress) => new GeneralSubtree({ base: new GeneralName({ iPAddress }) })),
  ];
  const value = AsnConvert.serialize(new NameConstraints({ permittedSubtrees: new GeneralSubtrees(subtrees) }));
  return new x509.Extension(id_ce_nameConstraints, true, value);
}

async function importPkcs8(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ format: "der", type: "pkcs8" });
  return webcrypto.subtle.importKey("pkcs8", der, RSA, false, ["sign"]);
}

export function toPem(der: Buffer, label: string): string {
  const body = der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** Reads a certificate given as PEM or base64 DER. */
export function parseCertificate(text: string): NodeX509 {
  const trimmed = text.trim();
  return trimmed.startsWith("-----BEGIN") ? new NodeX509(trimmed) : new NodeX509(Buffer.from(trimmed, "base64"));
}
