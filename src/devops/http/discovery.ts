/**
 * The ApiResourceLocations svcconn serves for `OPTIONS /{org}/_apis[/{area}]` (`docs/reference/devops-api.md` §1.1, §5). Both
 * official clients only ever request URLs they build from these templates; every location carries the four
 * version fields the Python client needs, with a minimum low enough for the az devops extension (5.x).
 */
interface Location {
  id: string;
  area: string;
  resourceName: string;
  routeTemplate: string;
  resourceVersion: number;
  minVersion: string;
  maxVersion: string;
  releasedVersion: string;
}

const loc = (id: string, area: string, resourceName: string, routeTemplate: string, resourceVersion = 1, minVersion = "1.0", releasedVersion = "7.1"): Location => ({
  id,
  area,
  resourceName,
  routeTemplate,
  resourceVersion,
  minVersion,
  maxVersion: "7.2",
  releasedVersion,
});

export const LOCATIONS: Location[] = [
  loc("e81700f7-3be2-46de-8624-2eb35882fcaa", "Location", "ResourceAreas", "_apis/{resource}/{areaId}", 1, "3.2"),
  loc("00d9565f-ed9c-4a06-9a50-00e7896ccab4", "Location", "ConnectionData", "_apis/{resource}"),
  loc("d810a47d-f4f4-4a62-a03f-fa1860585c4c", "Location", "ServiceDefinitions", "_apis/{resource}/{serviceType}/{identifier}"),
  loc("603fe2ac-9723-48b9-88ad-09305aa6c6e1", "core", "projects", "_apis/{resource}/{*projectId}", 4),
  loc("e85f1c62-adfc-4b74-b618-11a150fb195e", "serviceendpoint", "endpoints", "{project}/_apis/{area}/{resource}/{endpointId}", 4, "4.1"),
  loc("14e48fdc-2c8b-41ce-a0c3-e26f6cc55bd0", "serviceendpoint", "endpoints", "_apis/{area}/{resource}/{endpointId}", 4, "5.2"),
  loc("5a7938a4-655e-486c-b562-b78c54a7e87b", "serviceendpoint", "types", "_apis/{area}/{resource}", 1, "4.1"),
  loc("10a16738-9299-4cd1-9a81-fd23ad6200d0", "serviceendpoint", "executionhistory", "{project}/_apis/{area}/{endpointId}/{resource}", 1, "4.1"),
  loc("55b9ed4b-5404-41b1-b9d2-7ed757d02bb0", "serviceendpoint", "executionhistory", "{project}/_apis/{area}/{resource}", 1, "4.1"),
  loc("cc63bb57-2a5f-4a7a-b79c-c142d308657e", "serviceendpoint", "endpointproxy", "{project}/_apis/{area}/{resource}", 1, "4.1"),
  loc("86e77201-c1f7-46c9-8672-9dfc2f6f568a", "serviceendpoint", "endpointproject", "_apis/{area}/{resource}/{endpointId}", 1, "5.0"),
  loc("18e8f65d-4e19-4a01-a621-cf0f2d938108", "serviceendpoint", "azurermsubscriptions", "_apis/{area}/endpointproxy/{resource}", 1, "5.0"),
  loc("9acb984c-4f88-4e13-9691-2e688dddc047", "serviceendpoint", "azurermmanagementgroups", "_apis/{area}/endpointproxy/{resource}", 1, "5.0"),
  loc("b5b9a4a4-e6cd-4096-853c-ab7d8b0c4eb2", "pipelinePermissions", "pipelinePermissions", "{project}/_apis/pipelines/{resource}/{resourceType}/{resourceId}", 1, "5.1", "0.0"),
  loc("9461c234-c84c-4ed2-b918-2f0f92ad0a35", "securityroles", "roleassignments", "_apis/{area}/scopes/{scopeId}/{resource}/resources/{resourceId}/{identityId}", 1, "2.2", "0.0"),
  loc("f4cc9a86-453c-48d2-b44d-d3bd5c105f4f", "securityroles", "roledefinitions", "_apis/{area}/scopes/{scopeId}/{resource}", 1, "2.2", "0.0"),
  loc("398c85bc-81aa-4822-947c-a194a05f0fef", "build", "authorizedresources", "{project}/_apis/{area}/{resource}", 1, "5.0", "0.0"),
  loc("ef5b7057-ffc3-4c77-bbad-c10b4a4abcc7", "distributedtask", "variablegroups", "_apis/{area}/{resource}/{groupId}", 2, "5.0", "7.1"),
  loc("f5b09dd5-9d54-45a1-8b5a-1c8287d634cc", "distributedtask", "variablegroups", "{project}/_apis/{area}/{resource}/{groupId}", 2, "3.2", "7.1"),
  loc("8572b1fc-2482-47fa-8f74-7e3ed53ee54b", "distributedtask", "environments", "{project}/_apis/{area}/{resource}/{environmentId}", 1, "5.0", "0.0"),
  loc("51bb5d21-4305-4ea6-9dbb-b7488af73334", "distributedtask", "environmentdeploymentrecords", "{project}/_apis/{area}/environments/{environmentId}/{resource}", 1, "5.0", "0.0"),
  loc("86c8381e-5aee-4cde-8ae4-25c0c7f5eaea", "PipelinesChecks", "configurations", "{project}/_apis/pipelines/checks/{resource}/{id}", 1, "5.1", "0.0"),
  loc("37794717-f36f-4d78-b2bf-4dc30d0cfbcd", "pipelinesapproval", "approvals", "{project}/_apis/pipelines/approvals/{approvalId}", 1, "5.1", "0.0"),
  loc("69a319f4-28c1-4bfd-93e6-ea0ff5c6f1a2", "distributedtask", "oidctoken", "{scopeIdentifier}/_apis/{area}/hubs/{hubName}/plans/{planId}/jobs/{jobId}/{resource}", 1, "7.1", "0.0"),
  // Pipelines (served on the same host; the pipelines plane answers them).
  loc("28e1305e-2afe-47bf-abaf-cbb0e6a91988", "pipelines", "pipelines", "{project}/_apis/{resource}/{pipelineId}", 1, "5.1", "7.1"),
  loc("7859261e-d2e9-4a68-b820-a5d84cc5bb3d", "pipelines", "runs", "{project}/_apis/pipelines/{pipelineId}/{resource}/{runId}", 1, "5.1", "7.1"),
  loc("fb1b6d27-3957-43d5-a14b-a2d70403e545", "pipelines", "logs", "{project}/_apis/pipelines/{pipelineId}/runs/{runId}/{resource}/{logId}", 1, "5.1", "7.1"),
  loc("53df2d18-29ea-46a9-bee0-933540f80abf", "pipelines", "preview", "{project}/_apis/pipelines/{pipelineId}/{resource}", 1, "5.1", "7.1"),
  loc("0cd358e1-9217-4d94-8269-1c1ee6f93dcf", "build", "builds", "{project}/_apis/{area}/{resource}/{buildId}", 7, "2.0"),
  loc("8baac422-4c6e-4de5-8532-db96d92acffa", "build", "Timeline", "{project}/_apis/{area}/builds/{buildId}/{resource}/{timelineId}", 3, "2.0"),
  loc("35a80daf-7f30-45fc-86e8-6b813d9c90df", "build", "logs", "{project}/_apis/{area}/builds/{buildId}/{resource}/{logId}", 2, "2.0"),
  loc("dbeaf647-6167-421a-bda9-c9327b25e2e6", "build", "definitions", "{project}/_apis/{area}/{resource}/{definitionId}", 7, "2.0"),
  loc("c4aefd19-30ff-405b-80ad-aca021e7242a", "build", "generalSettings", "{project}/_apis/{area}/{resource}", 1, "5.0", "0.0"),
  loc("b5cc35c2-ff2b-491d-a085-24b6e9f396fd", "customerintelligence", "Events", "_apis/{area}/{resource}", 1, "1.0", "0.0"),
];

export function locations(area?: string): { count: number; value: Location[] } {
  const value = area ? LOCATIONS.filter((l) => l.area.toLowerCase() === area.toLowerCase()) : LOCATIONS;
  return { count: value.length, value };
}
