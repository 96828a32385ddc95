/**
 * What `doctor fix` may change, and nothing else: the doctor's write port. The adapter in
 * src/clients/doctor-target.ts implements it with the official SDKs, against svcconn or the real services.
 */
export interface PipelinePermissionsChange {
  allPipelines?: boolean;
  pipelines?: Array<{ id: number; authorized: boolean }>;
}

export interface FixTarget {
  /** Azure DevOps' own Rotate secret of an automatic connection (`PUT …/endpoints/{id}?operation=RotateSecret`). */
  rotateSecret(project: string, connectionId: string): Promise<void>;
  /** A new client secret on the application (Graph `addPassword`); returns the secret, shown to nobody else. */
  addPassword(applicationObjectId: string, displayName: string, endDateTime: string): Promise<{ secret: string; keyId: string }>;
  removePassword(applicationObjectId: string, keyId: string): Promise<void>;
  /**
   * Azure DevOps' conversion between a secret and workload identity federation
   * (`PUT …/endpoints/{id}?operation=ConvertAuthenticationScheme`); back to a secret only within seven days.
   * Returns the issuer and subject the connection presents afterwards.
   */
  convertScheme(project: string, connectionId: string, scheme: "WorkloadIdentityFederation" | "ServicePrincipal"): Promise<{ issuer: string | null; subject: string | null }>;
  addFederatedCredential(applicationObjectId: string, credential: { name: string; issuer: string; subject: string; audiences: string[] }): Promise<string>;
  removeFederatedCredential(applicationObjectId: string, credentialId: string): Promise<void>;
  /** Stores a new secret in a manual connection (`PUT …/endpoints/{id}` with `serviceprincipalkey`). */
  setConnectionSecret(project: string, connectionId: string, secret: string): Promise<void>;
  /** A role assignment; returns its id. */
  assignRole(principalObjectId: string, scope: string, roleDefinitionGuid: string): Promise<string>;
  removeRoleAssignment(roleAssignmentId: string): Promise<void>;
  setPipelinePermissions(project: string, connectionId: string, change: PipelinePermissionsChange): Promise<void>;
  enableServicePrincipal(servicePrincipalObjectId: string): Promise<void>;
  deleteApplication(applicationObjectId: string): Promise<void>;
}
