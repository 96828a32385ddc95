import { X509Certificate as NodeX509 } from "node:crypto";

/**
 * Reading certificates with Node's own X509Certificate: what requests need. Making them (`x509.ts`, on
 * @peculiar/x509) loads only when a certificate is issued.
 */
export function toPem(der: Buffer, label: string): string {
  const body = der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** Reads a certificate given as PEM or base64 DER. */
export function parseCertificate(text: string): NodeX509 {
  const trimmed = text.trim();
  return trimmed.startsWith("-----BEGIN") ? new NodeX509(trimmed) : new NodeX509(Buffer.from(trimmed, "base64"));
}
