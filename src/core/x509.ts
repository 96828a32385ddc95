import { webcrypto, createPrivateKey } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { GeneralName, GeneralSubtree, GeneralSubtrees, id_ce_nameConstraints, NameConstraints } from "@peculiar/asn1-x509";
import * as x509 from "@peculiar/x509";
import { toPem } from "./certificate.js";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const RSA: RsaHashedKeyGenParams = { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };
/** P-256: a key made in a millisecond where RSA-2048 takes a hundred or more, for what is only TLS (the CA, servers). */
const EC = { generate: { name: "ECDSA", namedCurve: "P-256" } as EcKeyGenParams, sign: { name: "ECDSA", hash: "SHA-256" } as EcdsaParams };
const ALGORITHMS = { rsa: { generate: RSA, sign: RSA, import: RSA }, ec: { generate: EC.generate, sign: EC.sign, import: EC.generate } } as const;

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
  /** The new key's type: RSA-2048 (the default: token signing and client certificates need it) or EC P-256. */
  key?: "rsa" | "ec";
}

/** Creates a key (RSA-2048 or EC P-256) and an X.509 certificate for it (a CA, a TLS server, a token-signing or client cert). */
export async function issueCertificate(request: CertificateRequest): Promise<IssuedCertificate> {
  const algorithm = ALGORITHMS[request.key ?? "rsa"];
  const keys = (await webcrypto.subtle.generateKey(algorithm.generate, true, ["sign", "verify"])) as CryptoKeyPair;
  const extensions: x509.Extension[] = [];
  if (request.isCa) {
    extensions.push(new x509.BasicConstraintsExtension(true, 0, true));
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true));
    if (request.permitted) extensions.push(nameConstraints(request.permitted));
  } else {
    extensions.push(new x509.BasicConstraintsExtension(false, undefined, true));
    // Key encipherment is RSA key exchange's; an EC key only signs (ECDHE).
    const usages = x509.KeyUsageFlags.digitalSignature | (request.key === "ec" ? 0 : x509.KeyUsageFlags.keyEncipherment);
    extensions.push(new x509.KeyUsagesExtension(usages, true));
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
    const issuer = await importPkcs8(request.issuer.keyPem);
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuerCert, false));
    cert = await x509.X509CertificateGenerator.create({
      serialNumber,
      subject: request.subject,
      issuer: issuerCert.subject,
      notBefore: request.notBefore,
      notAfter: request.notAfter,
      signingKey: issuer.key,
      publicKey: keys.publicKey,
      signingAlgorithm: issuer.sign,
      extensions,
    });
  } else {
    cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber,
      name: request.subject,
      notBefore: request.notBefore,
      notAfter: request.notAfter,
      keys,
      signingAlgorithm: algorithm.sign,
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

/** An issuer's key, RSA (CAs made before svcconn used EC) or EC, with the algorithm it signs with. */
async function importPkcs8(pem: string): Promise<{ key: CryptoKey; sign: RsaHashedKeyGenParams | EcdsaParams }> {
  const privateKey = createPrivateKey(pem);
  const algorithm = ALGORITHMS[privateKey.asymmetricKeyType === "ec" ? "ec" : "rsa"];
  const der = privateKey.export({ format: "der", type: "pkcs8" });
  return { key: await webcrypto.subtle.importKey("pkcs8", der, algorithm.import, false, ["sign"]), sign: algorithm.sign };
}
