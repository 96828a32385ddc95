import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A small world for the resource plane: one tenant, a deployer application that is Owner of its one
 * subscription, one resource group. Suites that test ARM start from it rather than from the demo world, so a
 * change to the demo world cannot change what they test.
 */
export const ARM_WORLD = {
  tenantId: "a0a0cafe-7e4a-4000-8000-000000000001",
  appId: "a0a0cafe-a440-4000-8000-000000000001",
  servicePrincipalId: "a0a0cafe-5b00-4000-8000-000000000001",
  secret: "Arm8Q~small.world.secret.for.tests.only.000",
  subscriptionId: "a0a0cafe-5ab0-4000-8000-000000000001",
  resourceGroup: "rg-app",
  location: "westeurope",
} as const;

export const ARM_WORLD_YAML = `name: arm
description: One tenant, an Owner application, one subscription with one resource group.
tenants:
  - key: fabric
    id: ${ARM_WORLD.tenantId}
    displayName: Fabric
    defaultDomain: fabric.onmicrosoft.com
    applications:
      - appId: ${ARM_WORLD.appId}
        displayName: deployer
        signInAudience: AzureADMyOrg
        passwordCredentials:
          - { displayName: tests, secretText: "${ARM_WORLD.secret}", endDateTime: "2099-12-31T00:00:00Z" }
        servicePrincipal: { id: ${ARM_WORLD.servicePrincipalId} }
    subscriptions:
      - id: ${ARM_WORLD.subscriptionId}
        displayName: Fabric Production
        resourceGroups:
          - { name: ${ARM_WORLD.resourceGroup}, location: ${ARM_WORLD.location} }
    roleAssignments:
      - { principal: deployer, role: Owner, scope: /subscriptions/${ARM_WORLD.subscriptionId} }
`;

/** Writes a world to a file of its own (world files are read by path) and returns the path. */
export function worldFile(yaml: string, name = "world"): string {
  const file = join(mkdtempSync(join(tmpdir(), "svcconn-world-")), `${name}.yaml`);
  writeFileSync(file, yaml);
  return file;
}
