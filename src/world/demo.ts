/**
 * The demo world `svcconn serve` starts with. Its ids are fixed and documented in README, so scripts and tests
 * can name them. Secrets and passwords here are well known, like Azurite's account key: for local use only.
 */
function pat(who: string): string {
  return `svcconn${who}demopat`.padEnd(52, "a");
}

export const DEMO = {
  tenantId: "d0d0cafe-7e4a-4000-8000-000000000001",
  tenantDomain: "contoso.onmicrosoft.com",
  otherTenantId: "d0d0cafe-7e4a-4000-8000-000000000002",
  otherTenantDomain: "fabrikam.onmicrosoft.com",
  bootstrapAppId: "d0d0cafe-a440-4000-8000-000000000001",
  bootstrapAppObjectId: "d0d0cafe-a0b0-4000-8000-000000000001",
  bootstrapServicePrincipalId: "d0d0cafe-5b00-4000-8000-000000000001",
  bootstrapSecret: "Svc8Q~bootstrap.secret.for.local.use.only0",
  userPassword: "Passw0rd!Demo",
  users: {
    admin: { id: "d0d0cafe-05e2-4000-8000-000000000001", upn: "admin@contoso.onmicrosoft.com" },
    dev: { id: "d0d0cafe-05e2-4000-8000-000000000002", upn: "dev@contoso.onmicrosoft.com" },
    appdev: { id: "d0d0cafe-05e2-4000-8000-000000000003", upn: "appdev@contoso.onmicrosoft.com" },
    guest: { id: "d0d0cafe-05e2-4000-8000-000000000004", upn: "alex_fabrikam.onmicrosoft.com#ext#@contoso.onmicrosoft.com" },
    alex: { id: "d0d0cafe-05e2-4000-8000-000000000005", upn: "alex@fabrikam.onmicrosoft.com" },
    reader: { id: "d0d0cafe-05e2-4000-8000-000000000006", upn: "reader@contoso.onmicrosoft.com" },
  },
  organization: { id: "d0d0cafe-0a6a-4000-8000-000000000001", name: "contoso" },
  project: { id: "d0d0cafe-9a0c-4000-8000-000000000001", name: "web" },
  /** Personal access tokens of the demo organization's members (52 characters, like real ones). */
  pats: {
    admin: pat("admin"),
    dev: pat("dev"),
    appdev: pat("appdev"),
    guest: pat("guest"),
    reader: pat("reader"),
  },
  /** A key vault with Azure RBAC as its permission model, in rg-prod-app; the bootstrap application administers it. */
  vault: { name: "kv-contoso-prod", secrets: { "sql-password": "Demo-Sql-Passw0rd!", "storage-key": "demo-storage-key-for-local-use" } },
  subscriptionId: "d0d0cafe-5ab0-4000-8000-000000000001",
  devSubscriptionId: "d0d0cafe-5ab0-4000-8000-000000000002",
  otherSubscriptionId: "d0d0cafe-5ab0-4000-8000-000000000003",
  managementGroup: "mg-platform",
  managedIdentity: {
    name: "id-pipelines",
    clientId: "d0d0cafe-a440-4000-8000-0000000000a1",
    principalId: "d0d0cafe-5b00-4000-8000-0000000000a1",
  },
  vm: {
    name: "agent-vm-1",
    systemClientId: "d0d0cafe-a440-4000-8000-0000000000b1",
    systemPrincipalId: "d0d0cafe-5b00-4000-8000-0000000000b1",
  },
} as const;

export const DEMO_WORLD_YAML = `# svcconn demo world. Ids are fixed (see README); secrets are well known and for local use only.
name: demo
description: Contoso (two subscriptions under a management group) with a guest from Fabrikam, a bootstrap administrator application, an agent VM, and an Azure DevOps organization with a project.
bootstrap:
  tenant: contoso
  application: svcconn-bootstrap
  secretText: "${DEMO.bootstrapSecret}"
  organization: ${DEMO.organization.name}
  project: ${DEMO.project.name}
  pat: ${DEMO.pats.admin}
tenants:
  - key: contoso
    id: ${DEMO.tenantId}
    displayName: Contoso
    defaultDomain: ${DEMO.tenantDomain}
    authorizationPolicy:
      allowedToCreateApps: true
      guestAccess: limited
    users:
      - id: ${DEMO.users.admin.id}
        userPrincipalName: ${DEMO.users.admin.upn}
        displayName: Contoso Admin
        password: "${DEMO.userPassword}"
        directoryRoles: [Global Administrator]
      - id: ${DEMO.users.dev.id}
        userPrincipalName: ${DEMO.users.dev.upn}
        displayName: Dana Developer
        password: "${DEMO.userPassword}"
      - id: ${DEMO.users.appdev.id}
        userPrincipalName: ${DEMO.users.appdev.upn}
        displayName: Avery App Developer
        password: "${DEMO.userPassword}"
        directoryRoles: [Application Developer]
      - id: ${DEMO.users.guest.id}
        userPrincipalName: "${DEMO.users.guest.upn}"
        displayName: Alex (Fabrikam)
        userType: Guest
        invitedFrom: { tenant: fabrikam, userPrincipalName: ${DEMO.users.alex.upn} }
      - id: ${DEMO.users.reader.id}
        userPrincipalName: ${DEMO.users.reader.upn}
        displayName: Riley Reader
        password: "${DEMO.userPassword}"
    applications:
      - id: ${DEMO.bootstrapAppObjectId}
        appId: ${DEMO.bootstrapAppId}
        displayName: svcconn-bootstrap
        signInAudience: AzureADMyOrg
        passwordCredentials:
          - displayName: well-known bootstrap secret
            secretText: "${DEMO.bootstrapSecret}"
            endDateTime: "2099-12-31T00:00:00Z"
        servicePrincipal:
          id: ${DEMO.bootstrapServicePrincipalId}
          directoryRoles: [Global Administrator]
    managedIdentities:
      - name: ${DEMO.managedIdentity.name}
        resourceId: /subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-agents/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${DEMO.managedIdentity.name}
        clientId: ${DEMO.managedIdentity.clientId}
        principalId: ${DEMO.managedIdentity.principalId}
    virtualMachines:
      - name: ${DEMO.vm.name}
        resourceId: /subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-agents/providers/Microsoft.Compute/virtualMachines/${DEMO.vm.name}
        systemAssignedIdentity:
          clientId: ${DEMO.vm.systemClientId}
          principalId: ${DEMO.vm.systemPrincipalId}
        userAssignedIdentities:
          - /subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-agents/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${DEMO.managedIdentity.name}
    managementGroups:
      - name: ${DEMO.managementGroup}
        displayName: Platform
    subscriptions:
      - id: ${DEMO.subscriptionId}
        displayName: Contoso Production
        managementGroup: ${DEMO.managementGroup}
        resourceGroups:
          - name: rg-agents
            location: westeurope
          - name: rg-prod-app
            location: westeurope
            resources:
              - type: Microsoft.Storage/storageAccounts
                name: stcontosoprod
                kind: StorageV2
                sku: { name: Standard_LRS }
                properties: { minimumTlsVersion: TLS1_2 }
              - type: Microsoft.Web/sites
                name: app-contoso-prod
                kind: app,linux
                properties: { defaultHostName: app-contoso-prod.azurewebsites.net, state: Running }
              - type: Microsoft.KeyVault/vaults
                name: ${DEMO.vault.name}
                properties: { sku: { family: A, name: standard }, enableRbacAuthorization: true }
                secrets: { sql-password: "${DEMO.vault.secrets["sql-password"]}", storage-key: "${DEMO.vault.secrets["storage-key"]}" }
      - id: ${DEMO.devSubscriptionId}
        displayName: Contoso Development
        managementGroup: ${DEMO.managementGroup}
        resourceGroups:
          - name: rg-dev-app
            location: northeurope
    roleAssignments:
      - { principal: svcconn-bootstrap, role: Owner, scope: /providers/Microsoft.Management/managementGroups/${DEMO.tenantId} }
      - { principal: svcconn-bootstrap, role: Key Vault Administrator, scope: /subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app/providers/Microsoft.KeyVault/vaults/${DEMO.vault.name} }
      - { principal: ${DEMO.users.admin.upn}, role: Owner, scope: /providers/Microsoft.Management/managementGroups/${DEMO.managementGroup} }
      - { principal: ${DEMO.users.dev.upn}, role: Contributor, scope: /subscriptions/${DEMO.devSubscriptionId} }
      - { principal: ${DEMO.users.appdev.upn}, role: Reader, scope: /subscriptions/${DEMO.subscriptionId} }
      - { principal: "${DEMO.users.guest.upn}", role: Owner, scope: /subscriptions/${DEMO.devSubscriptionId} }
      - { principal: ${DEMO.managedIdentity.name}, role: Contributor, scope: /subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app }
  - key: fabrikam
    id: ${DEMO.otherTenantId}
    displayName: Fabrikam
    defaultDomain: ${DEMO.otherTenantDomain}
    users:
      - id: ${DEMO.users.alex.id}
        userPrincipalName: ${DEMO.users.alex.upn}
        displayName: Alex Fabrikam
        password: "${DEMO.userPassword}"
    subscriptions:
      - id: ${DEMO.otherSubscriptionId}
        displayName: Fabrikam Subscription
        resourceGroups:
          - name: rg-fabrikam
            location: eastus
    roleAssignments:
      - { principal: ${DEMO.users.alex.upn}, role: Owner, scope: /subscriptions/${DEMO.otherSubscriptionId} }
organizations:
  - name: ${DEMO.organization.name}
    id: ${DEMO.organization.id}
    tenant: contoso
    projects:
      - { name: ${DEMO.project.name}, id: ${DEMO.project.id} }
    # A self-hosted pool whose agent runs on the agent VM: its jobs reach IMDS as that VM (managed identities, S12).
    pools:
      - { name: vm-agents, agents: [{ name: ${DEMO.vm.name}, vm: ${DEMO.vm.name} }] }
    members:
      - { user: ${DEMO.users.admin.upn}, projects: { ${DEMO.project.name}: [Project Administrators] }, organizationGroups: [Project Collection Administrators], pat: ${DEMO.pats.admin} }
      - { user: ${DEMO.users.dev.upn}, projects: { ${DEMO.project.name}: [Contributors] }, pat: ${DEMO.pats.dev} }
      - { user: ${DEMO.users.appdev.upn}, projects: { ${DEMO.project.name}: [Contributors] }, pat: ${DEMO.pats.appdev} }
      - { user: "${DEMO.users.guest.upn}", projects: { ${DEMO.project.name}: [Contributors] }, pat: ${DEMO.pats.guest} }
      - { user: ${DEMO.users.reader.upn}, projects: { ${DEMO.project.name}: [Readers] }, pat: ${DEMO.pats.reader} }
`;
