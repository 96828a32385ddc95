import { aadsts, define, phrase } from "./define.js";

export default define({
  id: "certificate-invalid",
  rootCauseClass: "secret_expired_or_invalid",
  title: "The certificate credential is not registered, does not match, or is expired",
  spec: ["S9", "S12"],
  schemes: ["certificate"],
  signals: [
    aadsts(700027, 14),
    aadsts(1000502, 14),
    aadsts(700030, 12),
    phrase("invalid signature", /client assertion contains an invalid signature/, 12),
    phrase("used to sign the client assertion", /used to sign the client assertion is not registered/, 12),
    phrase("validity window", /certificate is not within its specified validity window/, 12),
    phrase("thumbprint", /thumbprint of key used by client/, 6),
    phrase(["certificate", "cert "], /(?:certificate|cert) (?:has )?expired/, 5),
    // A thumbprint, a PEM or a public key counts beside the word certificate only (alone it is anything's).
    phrase("certificate", /\bcertificate\b.{0,60}\bexpir|\bexpir\w*.{0,30}\bcertificate\b(?! credentials)|\bcertificate\b[\s\S]{0,300}(?:thumbprint|\bpem\b|public key)|(?:thumbprint|\bpem\b|public key)[\s\S]{0,300}\bcertificate\b|public certificate/, 7),
    // A server's TLS certificate, or one the agent keeps (a store, an HTTPS binding, an app-signing identity): not
    // the credential the connection signs in with (InstallAppleCertificate, IISWebAppManagement, curl, Go's x509).
    // A Service Fabric connection's cluster certificate is that connection type's, not an Azure Resource Manager one's.
    phrase(["ssl", "tls", "x509", "https binding", "certificate store", "keychain", "provisioning profile", "fingerprint:", "server certificate", "cluster"], /\bssl\b|\btls\b|\bx509\b|https binding|certificate store|keychain|provisioning profile|\(fingerprint:|server certificate|\bcluster (?:endpoint|certificate)/, -10),
    // An App Service or Key Vault certificate a command names (az webapp config ssl, az keyvault certificate).
    phrase(["certificate for thumbprint", "managed certificate", "--certificate-", "certificate file type"], /certificate for thumbprint ['"][^'"]*['"] not found|managed certificate|--certificate-(?:common-name|issuer)|certificate file type/, -10),
  ],
  entities: [{ entity: "thumbprint", weight: 4 }],
  cause:
    "The connection authenticates application {clientId} with a certificate, and Microsoft Entra ID did not accept it: the certificate (thumbprint {thumbprint}) is not among the app's key credentials, the private key does not match it, or its validity window has ended.",
  fix: [
    "Compare the thumbprint with the app's certificates: az ad app credential list --id {clientId} --cert (Azure portal > App registrations > Certificates & secrets > Certificates).",
    "Upload the current certificate: az ad app credential reset --id {clientId} --cert @cert.pem --append, and Edit the connection with the PEM holding both certificate and private key (openssl pkcs12 -in cert.pfx -out cert.pem -nodes).",
    "Replace an expired certificate with a new one, or convert the connection to workload identity federation.",
  ],
  verify: ["az login --service-principal -u {clientId} --certificate cert.pem --tenant {tenant} succeeds.", "Verify the connection."],
  scanFindings: ["certificate-expired", "certificate-expiring"],
  references: ["https://learn.microsoft.com/entra/identity-platform/certificate-credentials"],
});
