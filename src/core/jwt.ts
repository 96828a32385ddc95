import { sign, type KeyObject } from "node:crypto";

/**
 * RS256 compact JWS. The signature is computed on libuv's thread pool (`crypto.sign` with a callback), so the
 * event loop keeps serving while RSA works, without WebCrypto's per-call algorithm normalisation.
 */
export function signJwt(header: Record<string, unknown>, claims: Record<string, unknown>, privateKey: KeyObject): Promise<string> {
  const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
  return new Promise((resolve, reject) => {
    sign("sha256", Buffer.from(input), privateKey, (error, signature) => (error ? reject(error) : resolve(`${input}.${signature.toString("base64url")}`)));
  });
}
